"""Append new cameras to an inventory file as text: the round-trip writer's bytes, without it.

    append_cameras(text, site, items, yaml) -> new text, or None (take the round-trip path)

Why: ruamel's round-trip writer parses and re-emits the whole file in pure Python (~5 ms per
camera in the file, 50 s for 10,000) to add one camera. When the file is in the layout ruamel
itself emits, appending an item changes nothing but the inserted lines, so they can be placed
directly: ruamel renders the new items (same indentation settings, same nesting depth, so the
same bytes) and they go where ruamel puts them: after the site's last camera and the blank
lines that follow it (when it ends in a scalar). When a comment follows that camera, ruamel's scanner gives it to the
camera or to the next token by rules of columns and blank lines (seen in tests: a comment at
column 0 before the next site goes after the new camera, one before a key of the same site
too): that is left to it.

"The layout ruamel itself emits" is checked, conservatively, before anything is inserted: every
line is empty, a comment, or ``key: value`` / ``- key: value`` / ``- value`` with one space
after the colon, a value that is plain (resolving to a string, a decimal int or float,
``true``/``false``), quoted, or a one-line flow collection written as ruamel writes it
(``[a, b]``, ``{k: [v]}``); no trailing spaces, tabs, CR, BOM or leading blank line; no
comment between the site's last camera and what follows it, nor blank lines ending the file
there; every block key and item sits exactly at the column the guessed indentation gives; the
file ends with a newline. Those are the places where ruamel's output differs from its input (it re-indents, drops
``~``, rewrites ``True``, ``+1``, ``[ a,b ]``, CRLF, ``---``, re-wraps multi-line scalars).
Anything else returns None. Finally the new text is parsed (core.inventory.fastyaml) and must
equal the old document with exactly these items appended, or None again: a mistake here can
cost speed, never a camera or a line. That parse is kept for the next call on the same text
(a script upserting cameras one by one parses each state of the file once, not twice).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Final

from fleetctl.core.inventory import fastyaml

__all__ = ["append_cameras"]

_SQ: Final = r"'(?:[^'\n]|'')*'"
_DQ: Final = r'"[^"\\\n]*"'  # no escapes: ruamel re-escapes (`"caf\u00e9"` -> `"café"`)
# A plain scalar in block context: words of non-spaces (a colon only when a non-space follows)
# joined by single spaces; its first character is no indicator (nor `+ . ~`, which ruamel may
# rewrite: `+1` -> `1`), and no word starts with `#` (that would be a comment).
_WORD: Final = r"(?!#)(?:[^\s:]|:(?=\S))+"
_PLAIN: Final = r"(?![-?:,\[\]{}#&*!|>'\"%@`+.~])" + _WORD + r"(?: " + _WORD + r")*"
_FWORD: Final = r"(?!#)(?:[^\s:,\[\]{}]|:(?=[^\s,\[\]{}]))+"
_FPLAIN: Final = r"(?![-?:,\[\]{}#&*!|>'\"%@`+.~])" + _FWORD + r"(?: " + _FWORD + r")*"
_FITEM: Final = f"(?:{_FPLAIN}|{_SQ}|{_DQ})"
_FKEY: Final = r"(?![-?:,\[\]{}#&*!|>'\"%@`+.~])" + _FWORD
_FSEQ: Final = rf"\[(?:{_FITEM}(?:, {_FITEM})*)?\]"
_FVAL: Final = f"(?:{_FITEM}|{_FSEQ})"  # `defaults: {tags: [a]}`: one level of nesting
_FLOW: Final = rf"{_FSEQ}|\{{(?:{_FKEY}: {_FVAL}(?:, {_FKEY}: {_FVAL})*)?\}}"
_KEY: Final = rf"(?![-?:,\[\]{{}}#&*!|>'\"%@`+.~]){_WORD}|{_SQ}|{_DQ}"
_VALUE: Final = rf"{_PLAIN}|{_SQ}|{_DQ}|{_FLOW}"
# One line of the canonical layout (without its newline).
_LINE: Final = re.compile(
    rf"(?: *#(?:.*\S)?)?"  # empty, or a whole-line comment
    rf"| *(?:-( +)({_VALUE})|(?:- +)?(?:{_KEY}):(?: ({_VALUE}))?)( +#(?:.*\S)?)?"
)
_FLOW_SPLIT: Final = re.compile(r", |: ")


def append_cameras(text: str, site: str, items: Sequence[Any], yaml: Any) -> str | None:
    """``text`` with ``items`` (ruamel CommentedMaps, block style) appended to ``site``'s
    cameras, byte for byte as ruamel's round-trip dump of the edited document would be.

    None when that cannot be shown cheaply: the file is not in ruamel's own layout, the site
    or its block ``cameras:`` list is missing or empty, a comment follows its last camera, or
    an item's name is already in the file (an update, or a camera of another site: the
    round-trip path words that error).
    ``yaml`` is the round-trip YAML object the writer would dump with (its indent settings).
    """
    if not items or not _plain_text(text):
        return None
    doc = _parsed(text)
    if doc is None:
        return None
    cameras = _site_cameras(doc, site)
    if cameras is None or _names(doc) & {str(item["name"]) for item in items}:
        return None
    lines = text.split("\n")[:-1]  # the text ends with "\n"
    mapping, sequence, offset = yaml.map_indent, yaml.sequence_indent, yaml.sequence_dash_offset
    if not all(map(_canonical_line, lines)) or not _aligned(
        doc, 0, lines, mapping, sequence, offset
    ):
        return None
    rendered = _render(items, yaml)
    if rendered is None:
        return None
    last_line = cameras.lc.data[len(cameras) - 1][0]
    dash = cameras.lc.col
    cut = len(lines)
    for n in range(last_line + 1, len(lines)):
        line = lines[n]
        stripped = line.lstrip(" ")
        if stripped and not stripped.startswith("#") and len(line) - len(stripped) <= dash:
            cut = n  # the first token after the list (a key of the site, the next site...)
            break
    k = cut
    while not lines[k - 1].strip():
        k -= 1  # blank lines before the next token stay with the last camera, before the new
    if lines[k - 1].lstrip(" ").startswith("#") or (
        k != cut and not _blanks_stay(lines, k, cut, dash)
    ):
        # A comment after the last camera, or blank lines ruamel gives to the next token:
        # its scanner attaches what follows a value by the token's kind, columns and blank
        # lines (a comment at column 0 before the next site goes to that site); left to it.
        return None
    head = sum(len(line) + 1 for line in lines[:cut])
    result = text[:head] + rendered + text[head:]
    try:
        new_doc = fastyaml.parse_fast(result)
    except fastyaml.FastPathUnavailable:
        return None
    if not _appended(new_doc, doc, site, [_plain_value(item) for item in items]):
        return None
    global _last
    _last = (result, new_doc)  # the next append to this file (a loop of upserts) starts here
    return result


# (text, its parse) of the last text this module produced. Keyed by the whole text (compared
# in full: ~1 ms a MB), so a file changed by anyone in between is parsed again; the document
# is never mutated (threads may share it).
_last: tuple[str, Any] = ("", None)


def _parsed(text: str) -> Any:
    """``text``'s document (core.inventory.fastyaml), or None."""
    last_text, last_doc = _last
    if last_doc is not None and text == last_text:
        return last_doc
    try:
        return fastyaml.parse_fast(text)
    except fastyaml.FastPathUnavailable:
        return None


def _appended(new: Any, old: Any, site: str, extra: list[Any]) -> bool:
    """``new`` is ``old`` with ``extra`` appended to ``site``'s cameras, nothing else changed."""
    if not isinstance(new, dict) or new.keys() != old.keys():
        return False
    for outer, inner, key in ((new, old, "sites"), (new["sites"], old["sites"], site)):
        if not isinstance(outer[key], dict) or outer[key].keys() != inner[key].keys():
            return False
        if any(outer[k] != inner[k] for k in inner if k != key):
            return False
    n, o = new["sites"][site], old["sites"][site]
    if any(n[k] != o[k] for k in o if k != "cameras"):
        return False
    return bool(n["cameras"] == [*o["cameras"], *extra])


def _blanks_stay(lines: list[str], k: int, cut: int, dash: int) -> bool:
    """The blank lines ``lines[k:cut]`` stay after the last camera, before the new ones.

    Seen in ruamel (tests/loopback/test_inventory_write_fast.py): they do when the camera's last line
    ends in a scalar or a comment and a line left of the dashes follows; not at the end of the
    file, not after a bare flow value (``tags: []``: they go to the next token), not before a
    key in the dashes' column (``cameras:`` then ``- name:`` unindented).
    """
    if cut == len(lines) or len(lines[cut]) - len(lines[cut].lstrip(" ")) >= dash:
        return False
    m = _LINE.fullmatch(lines[k - 1])
    if m is None:
        return False
    value: str = m.group(2) or m.group(3) or ""
    # A comment on the line holds the blank lines (the scanner appends them to it), whatever
    # the value; without one, only a scalar does.
    return bool(m.group(4)) or value[:1] not in ("", "[", "{")


def _plain_text(text: str) -> bool:
    return (
        text.endswith("\n")
        and not text.startswith(("\n", "\ufeff"))
        and "\r" not in text
        and "\t" not in text
    )


def _site_cameras(doc: Any, site: str) -> Any:
    """The site's block ``cameras:`` list (non-empty), or None."""
    if not isinstance(doc, fastyaml.LinedDict) or not isinstance(doc.get("sites"), dict):
        return None
    sites = doc["sites"]
    node = sites.get(site)
    if not isinstance(node, fastyaml.LinedDict) or node.lc.line == sites.lc.key(site)[0]:
        return None
    cameras = node.get("cameras")
    if not isinstance(cameras, fastyaml.LinedList) or not cameras:
        return None
    if cameras.lc.line == node.lc.key("cameras")[0]:
        return None  # a flow list (`cameras: [...]`): ruamel rewrites it in its own way
    return cameras


def _names(doc: Any) -> set[str]:
    names: set[str] = set()
    for node in doc["sites"].values():
        cams = node.get("cameras") if isinstance(node, dict) else None
        for cam in cams if isinstance(cams, list) else ():
            if isinstance(cam, dict):
                names.add(str(cam.get("name")))
    return names


def _canonical_line(line: str) -> bool:
    if len(line) > 2000:
        return False  # near yaml.width (4096), ruamel would fold the scalar
    m = _LINE.fullmatch(line)
    if m is None:
        return False
    value = m.group(2) or m.group(3)
    if not value:
        return True
    parts = [p for p in _FLOW_SPLIT.split(value[1:-1]) if p] if value[0] in "[{" else [value]
    return all(p[0] in "'\"" or _plain_ok(p) for p in parts)


@lru_cache(maxsize=4096)
def _plain_ok(value: str) -> bool:
    """A plain scalar that ruamel writes back as it was read."""
    tag = _resolve(value)
    if tag == "str":
        return True
    if tag == "bool":
        return value in ("true", "false")
    if tag == "int":
        return value.isascii() and value.isdigit()
    if tag == "float":
        return re.fullmatch(r"[0-9]+\.[0-9]+", value) is not None
    return False  # null (`~`, `null`), timestamps, anything else: left to the round trip


def _resolve(value: str) -> str:
    for tag, regexp in _resolvers().get(value[:1], ()):
        if regexp.match(value):
            return tag
    return "str"


@lru_cache(maxsize=1)
def _resolvers() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    """ruamel's YAML 1.2 implicit resolvers by first character: (tag suffix, regexp)."""
    from ruamel.yaml.resolver import implicit_resolvers

    table: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for versions, tag, regexp, first in implicit_resolvers:
        if (1, 2) in versions:
            for ch in first:
                table.setdefault(ch, []).append(
                    (tag.rsplit(":", 1)[-1], re.compile(regexp.pattern, regexp.flags))
                )
    return table


def _aligned(
    node: Any, col: int, lines: list[str], mapping: int, sequence: int, offset: int
) -> bool:
    """Every block key of mapping ``node`` at ``col``, every nested block collection where
    ruamel's indent(mapping, sequence, offset) would put it. Flow collections (on their key's
    line) were checked by the line grammar."""
    data = node.lc.data
    for key, value in node.items():
        line, kcol = data[key]
        if kcol != col:
            return False
        if isinstance(value, fastyaml.LinedDict):
            if value.lc.line != line and not _aligned(
                value, col + mapping, lines, mapping, sequence, offset
            ):
                return False
        elif isinstance(value, fastyaml.LinedList) and value.lc.line != line:
            dash, inner = col + offset, col + sequence
            for idx, item in enumerate(value):
                iline, icol = value.lc.data[idx]
                if icol != inner or lines[iline][dash : dash + 1] != "-":
                    return False
                if isinstance(item, fastyaml.LinedList):
                    return False  # a list in a list: not an inventory shape
                if (
                    isinstance(item, fastyaml.LinedDict)
                    and item.lc.line == iline
                    and not _aligned(item, inner, lines, mapping, sequence, offset)
                ):
                    return False
    return True


def _render(items: Sequence[Any], yaml: Any) -> str | None:
    """The items as ruamel dumps them at the depth of ``sites.<site>.cameras`` (the site
    key's own spelling is not part of the inserted lines: a placeholder stands for it)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    mini = CommentedMap(sites=CommentedMap(s=CommentedMap(cameras=CommentedSeq(items))))
    buf = io.StringIO()
    yaml.dump(mini, buf)
    head, _, rendered = buf.getvalue().partition("cameras:\n")
    if not rendered or head.count("\n") != 2:
        return None
    return rendered


def _plain_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_value(v) for v in value]
    return value
