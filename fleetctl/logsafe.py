"""Logging that cannot leak secrets.

A filter on the root handler masks, in every record (message, args and exception text):
passwords registered with ``register_secret``, ``Authorization:`` header values, WS-Security
``<Password>`` elements, and the userinfo of ``rtsp://user:pass@host`` style URLs.
"""

from __future__ import annotations

import logging
import re
import sys
import threading

MASK = "********"

_known: set[str] = set()
_known_lock = threading.Lock()
_known_re: re.Pattern[str] | None = None

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # scheme://user:password@host  ->  scheme://user:********@host
    (re.compile(r"(?P<pre>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)[^@\s/]*(?=@)"), r"\g<pre>" + MASK),
    # Authorization: Digest ..., Basic ...  (header lines and dict reprs)
    (re.compile(r"(?i)(?P<pre>['\"]?(?:proxy-)?authorization['\"]?\s*[:=]\s*['\"]?)[^'\"\r\n]+"), r"\g<pre>" + MASK),
    # <wsse:Password Type="...">...</wsse:Password>
    (re.compile(r"(?P<pre><(?:\w+:)?Password\b[^>]*>)[^<]*"), r"\g<pre>" + MASK),
    # password=..., "password": "..."
    (re.compile(r"(?i)(?P<pre>['\"]?password['\"]?\s*[:=]\s*['\"]?)[^'\"\s,}&]+"), r"\g<pre>" + MASK),
)


def register_secret(value: str | None) -> None:
    """Mask this exact value (and its percent-encoded form) wherever it appears in logs."""
    global _known_re
    if not value or len(value) < 3:
        return
    from urllib.parse import quote

    with _known_lock:
        _known.update({value, quote(value, safe="")})
        _known_re = re.compile("|".join(re.escape(v) for v in sorted(_known, key=len, reverse=True)))


def redact(text: str) -> str:
    """Return ``text`` with every known secret and secret-shaped value masked."""
    if _known_re is not None:
        text = _known_re.sub(MASK, text)
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:  # a broken %-format must not lose the record
            msg = str(record.msg)
        record.msg = redact(msg)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def setup_logging(verbosity: int = 0) -> None:
    """Log to stderr through the redacting filter. Replaces handlers libraries installed."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    root = logging.getLogger()
    for h in list(root.handlers):  # onvif-zeep-async calls basicConfig at import
        root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    root.setLevel(level)
