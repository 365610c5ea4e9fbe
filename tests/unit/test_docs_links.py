"""The repository explains itself: its docs link only to what exists, and nothing points outside.

Every relative link in README.md and docs/*.md must name a file of the repository and, with a
``#fragment``, a heading of that file (GitHub's anchor rules). No tracked file may cite the team
notes that live outside the repository: a user of fleetctl does not have them.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)
_LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.M)
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # http:, https:, mailto:

# Spelled in pieces so that this file does not match itself.
OUTSIDE = ("CONTRACTS" + ".md", "FIELD" + "-NOTES", "STYLE" + ".md", "../" + "shared")


def _prose(text: str) -> str:
    """The text without fenced code blocks and code spans (their brackets are not links)."""
    return _CODE_SPAN.sub("", _FENCE.sub("", text))


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower-cased, punctuation dropped, spaces to hyphens, -N for repeats."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    for title in _HEADING.findall(_FENCE.sub("", page.read_text("utf-8"))):
        slug = re.sub(r"[^\w\- ]", "", title.replace("`", "").strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def _links(page: Path) -> list[str]:
    return [t for t in _LINK.findall(_prose(page.read_text("utf-8"))) if not _EXTERNAL.match(t)]


def test_the_reference_pages_exist() -> None:
    names = {p.name for p in PAGES}
    assert {"README.md", "inventory.md", "secrets.md", "commands.md", "json.md"} <= names
    assert {"profiles.md", "problems.md", "serve.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_at_an_existing_file_and_heading(page: Path) -> None:
    broken = []
    for target in _links(page):
        path, _, fragment = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists() or ROOT not in (dest, *dest.parents):
            broken.append(f"{target}: no such file in the repository")
        elif fragment and dest.suffix == ".md" and fragment not in _anchors(dest):
            broken.append(f"{target}: no heading #{fragment} in {dest.name}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def test_the_link_checker_finds_a_broken_link(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# Title\n\n[ok](#title) [gone](missing.md) `[code](not-a-link.md)`\n"
        "```\n[fenced](also-not-a-link.md)\n```\n[web](https://example.com)\n",
        "utf-8",
    )
    assert _links(page) == ["#title", "missing.md"]
    assert _anchors(page) == {"title"}


def _tracked_files() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return _walk()  # not a git checkout (an unpacked sdist)
    return [ROOT / name for name in out.decode().split("\0") if name]


def _walk() -> list[Path]:
    """Every file under ROOT but virtualenvs, caches and git's own."""
    skip = {".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
    found: list[Path] = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in skip]
        found.extend(Path(folder) / f for f in files)
    return found


def test_no_file_points_outside_the_repository() -> None:
    found = []
    for path in _tracked_files():
        try:
            text = path.read_text("utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary (or vanished): not prose
        for n, line in enumerate(text.splitlines(), 1):
            hits = [w for w in OUTSIDE if w in line]
            if hits:
                found.append(f"{path.relative_to(ROOT)}:{n}: {hits[0]}")
    assert not found, "say it in the product's own words, or point at docs/:\n" + "\n".join(found)
