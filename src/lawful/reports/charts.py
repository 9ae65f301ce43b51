"""Bar charts as inline SVG, drawn on the server: no JavaScript, no library, readable by a
screen reader (a title, a description, and each bar labelled with its value).

Every piece is built with `Markup(...).format(...)`, which escapes what it is given: labels
and titles can never become markup. Presentation attributes rather than a <style> element,
as the pages' Content-Security-Policy allows no inline styles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup

Bar = tuple[str, float | None]  # (label, value; None: no data for that label)
Format = Callable[[float], str]
WIDTH = 640
BAR_AREA = 160  # height of the tallest column
TOP, BOTTOM, LEFT = 28, 40, 8
TEXT = Markup('font-family="system-ui, sans-serif" font-size="12" fill="#333"')
BAR_COLOUR = "#3b6ea8"


def _number(value: float) -> str:
    return f"{value:g}"


def column_chart(
    *, title: str, bars: Sequence[Bar], value_label: Format = _number, maximum: float | None = None
) -> Markup:
    """Vertical bars, one per label (months): a volume, or a rate with `maximum=1`."""
    top = maximum or max((v for _, v in bars if v is not None), default=0) or 1
    step = (WIDTH - 2 * LEFT) / max(len(bars), 1)
    parts = [_open(title, TOP + BAR_AREA + BOTTOM, bars, value_label)]
    for index, (label, value) in enumerate(bars):
        parts.append(_column(LEFT + index * step, step, label, value, top, value_label))
    return Markup("").join([*parts, Markup("</svg>")])


def row_chart(*, title: str, bars: Sequence[Bar], value_label: Format = _number) -> Markup:
    """Horizontal bars, one per label (request types)."""
    top = max((v for _, v in bars if v is not None), default=0) or 1
    row = 26
    parts = [_open(title, TOP + row * max(len(bars), 1) + 8, bars, value_label)]
    for index, (label, value) in enumerate(bars):
        parts.append(_row(TOP + index * row, row, label, value, top, value_label))
    return Markup("").join([*parts, Markup("</svg>")])


def _open(title: str, height: int, bars: Sequence[Bar], fmt: Format) -> Markup:
    description = "; ".join(f"{label}: {_shown(v, fmt)}" for label, v in bars)
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" '
        'width="100%" role="img" aria-label="{title}"><title>{title}</title><desc>{desc}</desc>'
        '<text x="{x}" y="16" font-weight="600" {text}>{title}</text>'
    ).format(w=WIDTH, h=height, title=title, desc=description, x=LEFT, text=TEXT)


def _column(
    x: float, step: float, label: str, value: float | None, top: float, fmt: Format
) -> Markup:
    base = TOP + BAR_AREA
    height = 0.0 if value is None else BAR_AREA * value / top
    centre = f"{x + step / 2:.1f}"
    return Markup(
        '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{colour}">'
        "<title>{label}: {shown}</title></rect>"
        '<text x="{cx}" y="{vy}" text-anchor="middle" {text}>{shown}</text>'
        '<line x1="{ax}" y1="{base}" x2="{ax2}" y2="{base}" stroke="#999"/>'
        '<text x="{cx}" y="{ly}" text-anchor="middle" {text}>{label}</text>'
    ).format(
        x=f"{x + 4:.1f}", y=f"{base - height:.1f}", w=f"{max(step - 8, 2):.1f}",
        h=f"{height:.1f}", colour=BAR_COLOUR, label=label, shown=_shown(value, fmt), cx=centre,
        vy=f"{base - height - 4:.1f}", text=TEXT, ax=f"{x:.1f}", base=base,
        ax2=f"{x + step:.1f}", ly=base + 16,
    )  # fmt: skip


ROW_LABEL_WIDTH = 190
ROW_LABEL_CHARACTERS = 28  # what fits in ROW_LABEL_WIDTH at 12 px; longer labels are cut


def short_label(label: str, limit: int = ROW_LABEL_CHARACTERS) -> str:
    """The label cut to `limit` characters with an ellipsis (the bar's title keeps it whole)."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _row(y: int, row: int, label: str, value: float | None, top: float, fmt: Format) -> Markup:
    label_width = ROW_LABEL_WIDTH
    length = 0.0 if value is None else (WIDTH - label_width - 70) * value / top
    return Markup(
        '<text x="{lx}" y="{ty}" text-anchor="end" {text}><title>{label}</title>{short}</text>'
        '<rect x="{bx}" y="{by}" width="{length}" height="{h}" fill="{colour}">'
        "<title>{label}: {shown}</title></rect>"
        '<text x="{vx}" y="{ty}" {text}>{shown}</text>'
    ).format(
        lx=label_width - 8, ty=y + 16, text=TEXT, label=label, short=short_label(label),
        bx=label_width, by=y + 4,
        length=f"{length:.1f}", h=row - 10, colour=BAR_COLOUR, shown=_shown(value, fmt),
        vx=f"{label_width + length + 6:.1f}",
    )  # fmt: skip


def _shown(value: float | None, fmt: Format) -> str:
    return "no data" if value is None else fmt(value)
