"""Logging that cannot leak secrets.

``redact(text)`` masks, wherever they appear:

- every value registered with ``register_secret`` (the secrets store registers each password
  as it reads it), also percent-encoded (RTSP URLs), XML-escaped (SOAP bodies), repr-escaped
  and in a Basic ``Authorization`` token;
- the password in ``scheme://user:password@host`` URLs (up to the *last* ``@`` of the
  authority: an unencoded ``@`` in a password is common on cameras);
- ``Authorization:``/``Proxy-Authorization:`` values (header lines, dict reprs, JSON);
- WS-Security ``<wsse:Password ...>`` element text (PasswordText and PasswordDigest alike);
- ``password=``/``passwd=``/``pwd=``/``passphrase=`` values (query strings, CGI bodies, JSON).

``setup_logging`` applies it to every record at creation (a LogRecord factory, so every handler
sees masked text, pytest's caplog included), to the formatted exception text, and to uncaught
exceptions (``sys.excepthook``, ``threading.excepthook``). ``safe_url(url)`` is a URL fit to
show (userinfo password and secret-named query values masked); ``query_secrets(url)`` names the
secret-named query keys a URL carries. Public API: MASK, register_secret, redact, redact_known,
safe_url, query_secrets, RedactingFilter, setup_logging, install.
"""

from __future__ import annotations

import base64
import html
import logging
import re
import sys
import threading
import traceback
from types import TracebackType
from typing import Any
from urllib.parse import quote, quote_plus, unquote

MASK = "********"

_known: set[str] = set()
_known_lock = threading.Lock()
_known_re: re.Pattern[str] | None = None
_known_dirty = False  # registered since the pattern was compiled: recompile on next use

# scheme://userinfo@host : the authority ends at the first / ? # or whitespace/quote/bracket.
_URL = re.compile(r"\b(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<auth>[^\s/?#'\"<>]+)")
_QUOTED_OR_LINE = r"(?:'[^'\r\n]*'|\"[^\"\r\n]*\"|[^\r\n]*)"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Digest username="admin", response="..."   |   'Authorization': 'Basic ...'
    (
        re.compile(r"(?i)(?P<pre>\b(?:proxy-)?authorization['\"]?\s*[:=]\s*)" + _QUOTED_OR_LINE),
        r"\g<pre>" + MASK,
    ),
    # <wsse:Password Type="...#PasswordDigest">...</wsse:Password>
    (re.compile(r"(?P<pre><(?:[\w.-]+:)?Password\b[^>]*>)[^<]*"), r"\g<pre>" + MASK),
    # password="a b" | 'password': 'x' | password=x&y=1 | "password": "x"
    (
        re.compile(
            r"(?i)(?P<pre>\b(?:password|passwd|pwd|passphrase)['\"]?\s*[:=]\s*)"
            r"(?:'[^']*'|\"[^\"]*\"|[^\s,;&}\]'\"]+)"
        ),
        r"\g<pre>" + MASK,
    ),
)


def _variants(value: str) -> set[str]:
    """The forms a password takes on its way through URLs, XML, reprs and Basic auth."""
    forms = {value, quote(value, safe=""), quote(value), quote_plus(value), html.escape(value)}
    forms.add(value.encode("unicode_escape").decode("ascii"))  # how repr() shows \ and non-ASCII
    forms.add(repr(value)[1:-1])
    return {f for f in forms if len(f) >= 3}


def register_secret(value: str | None) -> None:
    """Mask this exact value (and its encoded forms) wherever it appears in logs from now on.

    Values shorter than 3 characters are ignored: masking every "12" would shred the logs, and
    such a password protects nothing anyway.
    """
    global _known_dirty
    if not value or len(value) < 3:
        return
    with _known_lock:
        if value in _known:
            return
        _known.update(_variants(value))
        # Compiled on next use, not here: a secrets file of 2,000 unique passwords compiled
        # the growing alternation 2,000 times (quadratic: minutes at load time).
        _known_dirty = True


def register_url(url: str) -> None:
    """Mask a URL's token (its userinfo password and every query value) from now on: a
    webhook URL read from the environment or the secrets file."""
    from urllib.parse import parse_qsl, urlsplit

    try:
        parts = urlsplit(url)
        register_secret(parts.password)
        for _key, value in parse_qsl(parts.query):
            register_secret(value)
    except ValueError:
        register_secret(url)


def _known_pattern() -> re.Pattern[str] | None:
    global _known_re, _known_dirty
    if _known_dirty:
        with _known_lock:
            if _known_dirty:
                _known_re = re.compile(
                    "|".join(re.escape(v) for v in sorted(_known, key=len, reverse=True))
                )
                _known_dirty = False
    return _known_re


def _mask_userinfo(m: re.Match[str]) -> str:
    auth = m.group("auth")
    userinfo, at, host = auth.rpartition("@")
    if not at or ":" not in userinfo:
        return m.group(0)
    user = userinfo.split(":", 1)[0]
    return f"{m.group('scheme')}{user}:{MASK}@{host}"


# Query keys cameras and NVRs take a password or token in (``?user=admin&password=...`` on some
# OEM RTSP servers, ``&pwd=`` on Dahua-alikes): their values are never shown.
SECRET_QUERY_KEYS = frozenset(
    {"password", "passwd", "pwd", "pass", "pw", "passphrase", "secret", "token", "access_token"}
)
_QUERY_SECRET = re.compile(
    r"(?i)(?P<pre>(?:^|[?&;])(?:"
    + "|".join(sorted(SECRET_QUERY_KEYS, key=len, reverse=True))
    + r")=)[^&;#]*"
)


def query_secrets(url: str) -> list[str]:
    """The secret-named query keys ``url`` carries a value for (as written), in order."""
    query = url.partition("?")[2].partition("#")[0]
    out = []
    for part in re.split(r"[&;]", query):
        key, eq, value = part.partition("=")
        if eq and value and unquote(key).lower() in SECRET_QUERY_KEYS:
            out.append(key)
    return out


def safe_url(url: str) -> str:
    """``url`` fit to show or copy: ``user:password@`` becomes ``user:********@`` and the value
    of every secret-named query key (``?password=``, ``&pwd=``...) becomes ``********``."""
    head, q, rest = url.partition("?")
    head = _URL.sub(_mask_userinfo, head)
    if not q:
        return head
    query, h, fragment = rest.partition("#")
    return head + q + _QUERY_SECRET.sub(r"\g<pre>" + MASK, "&" + query)[1:] + h + fragment


def redact(text: str) -> str:
    """``text`` with every known secret and every secret-shaped value masked."""
    text = redact_known(text)
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


def redact_known(text: str) -> str:
    """Mask registered secrets (all their forms) and URL passwords only.

    For messages written for people, e.g. ``sites.x.cameras[2].password: must be a quoted
    string``, where the ``password: VALUE`` heuristic of ``redact`` would eat the words.
    """
    known = _known_pattern()
    if known is not None:
        text = known.sub(MASK, text)
    text = _URL.sub(_mask_userinfo, text)
    if known is not None:  # a Basic token made from a registered password, in any wrapping
        text = _redact_basic(text)
    return text


_BASIC = re.compile(r"\b[A-Za-z0-9+/]{8,}={0,2}")


def _redact_basic(text: str) -> str:
    def check(m: re.Match[str]) -> str:
        token = m.group(0)
        try:
            decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True).decode(
                "utf-8"
            )
        except (ValueError, UnicodeDecodeError):
            return token
        known = _known_pattern()
        return MASK if known is not None and known.search(decoded) else token

    return _BASIC.sub(check, text)


def _redact_record(record: logging.LogRecord) -> None:
    try:
        msg = record.getMessage()
    except Exception:  # a broken %-format must not lose the record (nor crash the caller)
        msg = f"{record.msg!s} {record.args!r}"
    record.msg = redact(msg)
    record.args = None
    if record.exc_info and record.exc_info[1] is not None:
        # Format now and drop the live exception: handlers then print only the masked text.
        record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_info = None
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


class RedactingFilter(logging.Filter):
    """Masks a record in place; also usable alone on a handler of your own."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


_installed = False


def install() -> None:
    """Mask every log record at creation and every uncaught exception. Idempotent."""
    global _installed
    if _installed:
        return
    _installed = True
    base_factory = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base_factory(*args, **kwargs)
        try:
            _redact_record(record)
        except ImportError:
            # Interpreter shutdown (aiohttp's __del__ warnings): masking can no longer import
            # what it needs, so drop the text rather than let it through unmasked.
            record.msg, record.args, record.exc_info, record.exc_text = (
                "(message dropped at shutdown)",
                None,
                None,
                None,
            )
        return record

    logging.setLogRecordFactory(factory)
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook


def _excepthook(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    sys.stderr.write(redact("".join(traceback.format_exception(exc_type, exc, tb))))


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread else "?"
    text = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
    sys.stderr.write(redact(f"Exception in thread {name}:\n{text}"))


def setup_logging(verbosity: int = 0) -> None:
    """Log to stderr, masked. Replaces handlers libraries installed (onvif-zeep-async calls
    ``logging.basicConfig`` at import)."""
    install()
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    root = logging.getLogger()
    for h in list(root.handlers):
        # Ours from an earlier call, and basicConfig's plain StreamHandler. Subclasses (a
        # FileHandler, pytest's capture handler) were put there on purpose: keep them.
        if getattr(h, "_fleetctl", False) or type(h) is logging.StreamHandler:
            root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler._fleetctl = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    # -v is fleetctl's own story (where the time went); libraries' INFO chatter (asyncssh logs
    # every SSH channel) would bury it: they stay at WARNING unless -vv asks for everything.
    ours = logging.getLogger("fleetctl")
    if verbosity == 1:
        root.setLevel(logging.WARNING)
        ours.setLevel(logging.INFO)
    else:
        root.setLevel(level)
        ours.setLevel(logging.NOTSET)
