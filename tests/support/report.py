"""Helpers for the report tests: run the CLI as a user does, and judge a page or an image."""

from __future__ import annotations

import re
from pathlib import Path

# Anything that would make a browser fetch: src/href/poster/srcset/action attributes, CSS url()
# and @import. XML namespace names (xmlns="http://www.w3.org/2000/svg") are names, not loads.
_LOADS = re.compile(
    r"""(?:\b(?:src|href|xlink:href|poster|srcset|action|data)\s*=\s*["']?\s*(?:https?:)?//)"""
    r"""|(?:url\(\s*["']?\s*(?:https?:)?//)|(?:@import)""",
    re.IGNORECASE,
)


def assert_self_contained(html: str) -> None:
    """No resource of the page comes from a network: it opens offline in a control room."""
    found = _LOADS.findall(html)
    assert not found, f"the page loads from the network: {found[:5]}"
    assert "<script" not in html.lower(), "the page needs no script"
    without_ns = re.sub(r'xmlns(?::\w+)?="[^"]*"', "", html)
    assert "http://" not in without_ns and "https://" not in without_ns


def weasyprint_works() -> bool:
    """WeasyPrint imports (it loads the system's Pango: .ci/run installs it with apt)."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def not_blank(png: Path, min_colours: int = 8) -> int:
    """The number of distinct colours in the image; asserts it is more than a blank page has."""
    from PIL import Image

    with Image.open(png) as img:
        rgb = img.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20) or []
        dark = sum(n for n, (r, g, b) in colours if r + g + b < 384)
    assert len(colours) >= min_colours, f"{png} looks blank: {len(colours)} colours"
    assert dark > 100, f"{png} has no text or drawing on it"
    return len(colours)
