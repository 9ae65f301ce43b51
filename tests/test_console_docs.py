"""docs/console.md: every picture it shows is committed, small, and taken by the script."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_screenshot_in_the_console_doc_exists_is_a_small_png_and_is_scripted() -> None:
    text = (ROOT / "docs" / "console.md").read_text()
    pictures = re.findall(r"!\[[^\]]*\]\((img/[^)]+\.png)\)", text)
    assert len(pictures) >= 8
    script = (ROOT / "scripts" / "screenshots.py").read_text()
    for picture in pictures:
        path = ROOT / "docs" / picture
        assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n"), picture
        assert path.stat().st_size < 200_000, picture
        taken = re.search(rf'\(\s*"{re.escape(path.stem)}",', script)
        assert taken, f"{picture} is not taken by scripts/screenshots.py"
