"""A scan for English words in what fleetctl shows in Vietnamese (CLI output, TUI screens).

A hit means a human-facing string escaped marking (``fleetctl.base.i18n``). Product words that
are the same in both languages (ONVIF, RTSP, fps, kbit/s, firmware, camera) are not on the list;
data and syntax are stripped first (see ``english_words``).
"""

from __future__ import annotations

import html
import re

from fleetctl.cli.main import COMMANDS

# Words of fleetctl's English that must not show in Vietnamese output (product words like
# ONVIF, RTSP, fps, kbit/s, firmware and camera are the same in both languages).
ENGLISH = re.compile(
    r"\b(offline|rejects|no video|frozen|ahead|behind|recording|failed|warn|crit|unknown|"
    r"status|reason|since|listed|seconds|password|answer|refused|missing|storage|usage|"
    r"options|show this help|default|cameras|selected|history|inventory file|the|and|of|with)\b",
    re.IGNORECASE,
)


def english_words(text: str) -> list[str]:
    """English words outside what is data or syntax: option names (``--no-history``), example
    command lines (``fleetctl ...``), command names, ``key:value`` selection syntax and quoted
    examples."""
    out: list[str] = []
    commands = re.compile(r"^\s*(?:" + "|".join(COMMANDS) + r")\b")
    for line in text.splitlines():
        if line.lstrip().startswith("fleetctl "):  # an example command line
            continue
        line = commands.sub(" ", line)
        # Lists of keywords a user types (`:` view names "sites, cameras, report", "a | b").
        line = re.sub(r"\b[a-z]+(?:(?:, | \| )[a-z]+)+\b", " ", line)
        line = re.sub(
            r"fleetctl [\w-]+(?: [a-z]+)?|@\w+|[\w-]+\.(?:sqlite|yaml|json|csv|html|pdf)\b|--?[\w-]+|\{[^}]*\}|`[^`]*`|'[^']*'|\b\w+:[\w|,.*/-]+|\$\w+",
            " ",
            line,
        )
        out += [m.group(0) for m in ENGLISH.finditer(line)]
    return out


def svg_text(svg: str) -> str:
    """The text rows of a Textual screenshot (SVG), one line per terminal row."""
    rows: dict[int, list[tuple[float, str]]] = {}
    pattern = r'<text [^>]*x="([\d.]+)"[^>]*clip-path="url\(#[^)]*line-(\d+)\)">([^<]*)</text>'
    for m in re.finditer(pattern, svg):
        rows.setdefault(int(m.group(2)), []).append((float(m.group(1)), html.unescape(m.group(3))))
    return "\n".join(
        " ".join(t for _, t in sorted(parts)).replace("\xa0", " ")
        for _, parts in sorted(rows.items())
    )
