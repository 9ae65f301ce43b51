"""Server-drawn charts: a long label is cut to what fits beside its bar, never clipped off
the picture, and stays whole for screen readers and tooltips; labels are escaped."""

from __future__ import annotations

import re

from lawful.reports.charts import ROW_LABEL_CHARACTERS, row_chart, short_label

LONG = "Show our ads to visitors on other sites"


def test_a_long_row_label_is_cut_with_an_ellipsis_and_kept_whole_in_its_title() -> None:
    svg = str(row_chart(title="Consent", bars=[(LONG, 3), ("Payroll", 1)]))
    shown = re.findall(r"</title>([^<]+)</text>", svg)
    assert shown == [short_label(LONG), "Payroll"]
    assert len(shown[0]) == ROW_LABEL_CHARACTERS
    assert shown[0].endswith("…")
    assert f"<title>{LONG}</title>" in svg
    assert f"{LONG}: 3" in svg  # the bar's own title, and the chart's description


def test_short_labels_are_left_alone_and_markup_in_labels_is_escaped() -> None:
    assert short_label("Payroll") == "Payroll"
    svg = str(row_chart(title="T", bars=[("<b>x</b>", 1)]))
    assert "<b>" not in svg
    assert "&lt;b&gt;x&lt;/b&gt;" in svg
