"""Camera selection: the one parser behind ``--select`` and the TUI's ``/`` filter.

Grammar (also in ``fleetctl.cli.options.SELECT_HELP``)::

    expr   := term (" " term)*          every term must match (AND); empty matches everything
    term   := ["!"] atom ("," atom)*    any atom may match (OR); "!" negates the whole term
    atom   := KEY ":" VALUE | BARE       an atom without a key reuses the previous key of its
                                        term: tag:market,school == tag:market,tag:school
    KEY    := site | group | tag | name | host | status

- ``site:NAME`` and ``tag:TAG``: exact, case- and diacritics-insensitive, and ``-``, ``_`` and
  spaces are the same: ``site:"dong tien"`` selects ``đông-tiến`` and ``dong-tien``. Globs work.
- ``group:NAME``: the site's optional grouping (an old district name, ``group: "Đông Sơn"``),
  compared as ``site:``.
- ``name:GLOB``: shell glob on the camera name (case-insensitive).
- ``host:IP|CIDR|a-b|GLOB``: netaddr syntax (``10.20.1.0/24``, ``10.20.1.5-10.20.1.9``,
  ``10.20.3.*``); a non-numeric value globs a DNS host name.
- ``status:ok|warn|crit|unknown``: the last check's status; a camera never checked has none, so
  it matches no ``status:`` atom (and does match ``!status:ok``).
- A BARE word with glob characters (``*?[``) globs the name; without them it is a substring of
  the name, site, group, location, tags or host (folded as above), so typing ``dong`` in the
  TUI finds every camera of Đông Tiến; and of the last check's problems, as shown in either
  language (``mat ket noi``, ``offline``, ``the nho``: terms AND, so each word must appear).
  Quote values with spaces: ``site:"đông tiến"``.

A bad expression raises UsageError whose message points at the offending term with carets.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import ipaddress
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from fleetctl.base.i18n import from_english
from fleetctl.core.errors import UsageError
from fleetctl.core.models import Camera, Inventory, Problem, Status

KEYS = ("site", "group", "tag", "name", "host", "status")
_GLOB_CHARS = re.compile(r"[*?\[]")
_TOKEN = re.compile(r"""(?:"[^"]*"|'[^']*'|[^\s"'])+""")
_NUMERIC_HOST = re.compile(r"[\d.*/\-]+|.*:.*")
# NFKD leaves these letters whole: they are letters of their own, not a letter plus a mark.
_EXTRA_FOLD = str.maketrans({"đ": "d", "Đ": "d", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l"})


@functools.lru_cache(maxsize=65_536)  # the TUI re-matches every camera on each keystroke
def fold(text: str) -> str:
    """Lowercase without diacritics: ``"Đông Tiến"`` -> ``"dong tien"``."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@functools.lru_cache(maxsize=65_536)
def slug(text: str) -> str:
    """``fold`` with runs of spaces, ``-`` and ``_`` made one ``-``: how sites and tags compare."""
    return re.sub(r"[\s_-]+", "-", fold(text)).strip("-")


@dataclass(frozen=True)
class Atom:
    key: str  # one of KEYS, or "" for a bare word
    value: str
    # host: as ((version, first, last), ...) integer spans: the TUI matches thousands of
    # cameras per keystroke, and netaddr's IPSet membership costs ~50x an integer compare.
    _net: tuple[tuple[int, int, int], ...] | None = field(default=None, compare=False, repr=False)

    def matches(self, camera: Camera, status: Status | None, problems: Sequence[str] = ()) -> bool:
        if self.key == "site":
            return _glob_or_eq(slug(camera.site), slug(self.value))
        if self.key == "group":
            return _glob_or_eq(slug(camera.group or ""), slug(self.value))
        if self.key == "tag":
            return any(_glob_or_eq(slug(t), slug(self.value)) for t in camera.tags)
        if self.key == "name":
            return fnmatch.fnmatchcase(fold(camera.name), fold(self.value))
        if self.key == "status":
            return status is not None and status.value == self.value
        if self.key == "host":
            return _host_matches(self, camera.host)
        if _GLOB_CHARS.search(self.value):
            return fnmatch.fnmatchcase(fold(camera.name), fold(self.value))
        needle = slug(self.value)
        haystack = (
            camera.name,
            camera.site,
            camera.group or "",
            camera.location or "",
            camera.host,
            *camera.tags,
            *problems,
        )
        return any(needle in slug(h) for h in haystack)


@dataclass(frozen=True)
class Term:
    atoms: tuple[Atom, ...]
    negated: bool = False

    def matches(self, camera: Camera, status: Status | None, problems: Sequence[str] = ()) -> bool:
        return any(a.matches(camera, status, problems) for a in self.atoms) != self.negated


@dataclass(frozen=True)
class Selection:
    """A parsed expression; ``matches`` is pure and cheap (the TUI calls it per keystroke)."""

    expr: str
    terms: tuple[Term, ...] = ()

    def matches(
        self, camera: Camera, last_status: Status | None = None, problems: Sequence[str] = ()
    ) -> bool:
        """``problems``: the last check's problem texts (``problem_texts``), for bare words."""
        return all(t.matches(camera, last_status, problems) for t in self.terms)

    @property
    def uses_status(self) -> bool:
        """True when the result depends on the last check (callers then load history)."""
        return any(a.key == "status" for t in self.terms for a in t.atoms)

    @property
    def uses_problems(self) -> bool:
        """True when a bare word could match the last check's problem words."""
        return any(a.key == "" for t in self.terms for a in t.atoms)


def parse_selection(expr: str) -> Selection:
    """Parse ``expr``; UsageError (pointing at the term) when it is malformed."""
    terms: list[Term] = []
    stripped = _TOKEN.sub("", expr)
    if '"' in stripped or "'" in stripped:
        pos = max(expr.rfind('"'), expr.rfind("'"))
        raise _error(expr, pos, 1, "unclosed quote")
    for m in _TOKEN.finditer(expr):
        terms.append(_parse_term(expr, m.start(), m.group()))
    return Selection(expr, tuple(terms))


def select_cameras(
    inventory: Inventory,
    expr: str,
    last_statuses: Mapping[str, Status] | None = None,
    last_problems: Mapping[str, Sequence[Problem]] | None = None,
) -> tuple[Camera, ...]:
    """The inventory's cameras that ``expr`` selects, in inventory order.

    ``last_problems`` (the last check's, from the history): a bare word also finds a camera by
    the words of its problems, as shown in either language (``mat ket noi``, ``offline``).
    """
    sel = parse_selection(expr)
    statuses = last_statuses or {}
    problems = last_problems or {}
    return tuple(
        c
        for c in inventory.cameras
        if sel.matches(c, statuses.get(c.name), problem_texts(problems.get(c.name, ())))
    )


def problem_texts(problems: Iterable[Problem]) -> tuple[str, ...]:
    """The words a person may type to find these problems: each as shown in the chosen language
    and in English (the stored text), so either language finds it."""
    out: list[str] = []
    for p in problems:
        out.append(p.message)
        # A problem read back from the history has its English text only.
        shown = p.text() if p.msg is not None else from_english(p.message)
        if shown != p.message:
            out.append(shown)
    return tuple(out)


def _parse_term(expr: str, pos: int, token: str) -> Term:
    negated = token.startswith("!")
    body = token[1:] if negated else token
    if not body:
        raise _error(expr, pos, len(token), "`!` needs a term after it")
    atoms: list[Atom] = []
    key = ""
    for piece in body.split(","):
        piece = piece.replace('"', "").replace("'", "")
        head, colon, rest = piece.partition(":")
        if colon and head.lower() in KEYS:
            key, value = head.lower(), rest
        elif colon and re.fullmatch(r"[A-Za-z]+", head):
            close = difflib.get_close_matches(head.lower(), KEYS, n=1)
            hint = f" (did you mean `{close[0]}:`?)" if close else f" (keys: {', '.join(KEYS)})"
            raise _error(expr, pos, len(token), f"unknown key `{head}:`{hint}")
        else:
            value = piece
        if not value:
            raise _error(expr, pos, len(token), f"empty value in `{token}`")
        atoms.append(_atom(expr, pos, token, key, value))
    return Term(tuple(atoms), negated)


def _atom(expr: str, pos: int, token: str, key: str, value: str) -> Atom:
    if key == "status":
        value = value.lower()
        if value not in {s.value for s in Status}:
            raise _error(
                expr, pos, len(token), f"status must be one of {', '.join(s.value for s in Status)}"
            )
    if key == "host" and _NUMERIC_HOST.fullmatch(value):
        return Atom(key, value, _ip_set(expr, pos, token, value))
    return Atom(key, value)


def _ip_set(expr: str, pos: int, token: str, value: str) -> tuple[tuple[int, int, int], ...] | None:
    import netaddr  # lazily: the CLI's --help path must not pay for it

    try:
        if "/" in value:
            ipset = netaddr.IPSet([netaddr.IPNetwork(value)])
        elif netaddr.valid_glob(value):
            ipset = netaddr.IPSet(netaddr.IPGlob(value))
        elif _GLOB_CHARS.search(value):
            return None  # 10.20.*.21: netaddr globs only trail; match the text instead
        elif value.count("-") == 1:
            ipset = netaddr.IPSet(netaddr.IPRange(*value.split("-")))
        else:
            ipset = netaddr.IPSet([netaddr.IPAddress(value)])
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise _error(
            expr, pos, len(token), f"`{value}` is not an IP, CIDR, a-b range or glob"
        ) from None
    return tuple((r.version, r.first, r.last) for r in ipset.iter_ipranges())


def _host_matches(atom: Atom, host: str) -> bool:
    if atom._net is None:
        return fnmatch.fnmatchcase(host.lower(), atom.value.lower())
    ip = _ip(host)
    # A DNS-named camera (ip None) is not inside any address range.
    return ip is not None and any(v == ip[0] and lo <= ip[1] <= hi for v, lo, hi in atom._net)


@functools.lru_cache(maxsize=65_536)
def _ip(host: str) -> tuple[int, int] | None:
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return None
    return addr.version, int(addr)


def _glob_or_eq(text: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(text, pattern) if _GLOB_CHARS.search(pattern) else text == pattern


def _error(expr: str, pos: int, width: int, reason: str) -> UsageError:
    return UsageError(f"bad selection: {reason}\n  {expr}\n  {' ' * pos}{'^' * max(1, width)}")
