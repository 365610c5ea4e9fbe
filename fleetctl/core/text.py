"""Strings from cameras and files, made safe to show: plain, printable, bounded.

A camera's model name, a SOAP fault reason, a recorder's mount point or an inventory ``location``
is written by someone else. Shown as it came, an ESC sequence in it would drive the operator's
terminal (retitle it, hide lines, write to the clipboard) and a 2 MB model name would become a
2 MB metric label. So every such string passes through ``clean`` where it enters fleetctl (the
adapters that parse device replies, the inventory loader):

    clean("HIK\\x1b]0;pwned\\x07VISION")   -> "HIKVISION"
    clean("a\\nb")                        -> "a b"        (line breaks and tabs become spaces)
    clean("x" * 10_000)                   -> 256 characters, the last one "…"

Escape sequences (CSI, OSC, DCS, ...) go whole, with their parameters; the remaining C0 and C1
control characters, DEL and the bidirectional overrides (which reorder what the eye reads) go
one by one. Square brackets stay: they are text, and the front-ends never read strings as markup.
"""

from __future__ import annotations

import re

LIMIT = 256  # a model name, a fault reason, a location: a line on a screen
LONG_LIMIT = 2048  # free text that may run long (an error detail, a URL)
ELLIPSIS = "…"

# ESC followed by: CSI (ESC [ params final), OSC/DCS/SOS/PM/APC (ESC ] ... BEL or ESC \),
# or a single two-character sequence. The 8-bit C1 forms (0x9B CSI, 0x9D OSC, ...) likewise.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"[\t\n\r]")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(value: str, limit: int = LIMIT) -> str:
    """``value`` without escape sequences or control characters, at most ``limit`` characters."""
    if len(value) <= limit and not _UNSAFE.search(value):
        return value  # the common case: one scan, no copy
    text = value[: limit * 4]  # bound the work on a hostile megabyte before the regexes
    text = _SEQUENCE.sub("", text)
    text = _SPACE.sub(" ", text)
    text = _CONTROL.sub("", text)
    if len(text) > limit:
        text = text[: limit - 1] + ELLIPSIS
    return text


def clean_opt(value: str | None, limit: int = LIMIT) -> str | None:
    """``clean`` for a value that may be absent (None stays None)."""
    return None if value is None else clean(value, limit)
