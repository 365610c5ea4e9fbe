"""The fast inventory parser: libyaml's C parser, plain containers that still know their lines.

    parse_fast(text) -> document, or raises FastPathUnavailable

Why: ruamel's round-trip loader (pure Python scanner, comment tracking) costs ~1.6 ms per camera,
paid by every command before its first probe. Here the C parser (``ruamel.yaml.clib``) builds
the node tree and a small constructor turns it into ``dict``/``list`` subclasses carrying an
``lc`` with the same 0-based positions ruamel's round-trip ``LineCol`` holds (mapping: its own
start and each key's start; sequence: its start and each item's start). So
``inventory_schema.key_line``/``node_line`` give the same lines, and the cameras' and sites'
``Source`` lines are the same as on the round-trip path.

Scalars are resolved by ruamel's own YAML 1.2 rules and built by its SafeConstructor, as the
round-trip loader does (``yes``/``on`` stay strings, ``010`` is 10); the values compare equal to
the round-trip ones (which are sometimes subclasses: ScalarInt for ``0x1F``, ScalarFloat).
Whatever this parser is not sure to read exactly like the round-trip loader raises
``FastPathUnavailable`` and the caller uses the round-trip loader instead: a syntax or
duplicate-key error (the round-trip loader words the message and finds the line), a
``%YAML``/``%TAG`` directive, an explicit tag, an anchor, a merge key (``<<``: the round-trip
loader orders merged keys differently), a key that is not a string, a character outside the
plain printable set, and no C extension at all (PyPy, odd platforms).
"""

from __future__ import annotations

import re
from typing import Any, Final

__all__ = ["FastPathUnavailable", "LinedDict", "LinedList", "available", "parse_fast"]


class FastPathUnavailable(Exception):
    """This text must go through the round-trip loader (the reason is in the message)."""


class LineCol:
    """The part of ruamel's ``comments.LineCol`` that ``inventory_schema`` reads."""

    __slots__ = ("col", "data", "line")

    def __init__(self, line: int, col: int) -> None:
        self.line, self.col = line, col
        self.data: dict[Any, tuple[int, int]] = {}

    def key(self, k: Any) -> tuple[int, int]:
        """(line, col) of key ``k`` of a mapping; KeyError if absent (a merged key, say)."""
        return self.data[k]

    def item(self, idx: Any) -> tuple[int, int]:
        """(line, col) of item ``idx`` (ruamel answers by the same table for both kinds)."""
        return self.data[idx]


class LinedDict(dict[Any, Any]):
    __slots__ = ("lc",)
    lc: LineCol


class LinedList(list[Any]):
    __slots__ = ("lc",)
    lc: LineCol


# Left to the round-trip loader, all rare in inventories: a directive line (`%YAML 1.1` changes
# booleans and octals; the C parser would not apply it), an explicit tag (`!!str 010`: the
# round-trip loader keeps a TaggedScalar, not a str), an anchor (`https: &h true`: the round-trip
# loader makes an anchored boolean a ScalarBoolean, an int that the schema refuses, and libyaml
# does not say which node was anchored). Such a sign inside a quoted string only costs speed.
_DIRECTIVE: Final = re.compile(r"^%", re.M)
_TAG: Final = re.compile(r"(?:^|[\s\[{,])!", re.M)
_ANCHOR: Final = re.compile(r"(?:^|[\s\[{,])&[^\s,\[\]{}]", re.M)
# Characters both parsers read alike. Outside this set the two may disagree on what is a line
# break (NEL, U+2028/9: YAML 1.1 breaks that libyaml still honours), on what is refused (control
# characters) or on where a tab may stand (libyaml takes `key: value<TAB># comment`, ruamel's
# scanner refuses it: that file must stay an error).
_UNUSUAL_CHAR: Final = re.compile(
    "[^\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_TAG_STR: Final = "tag:yaml.org,2002:str"
_TAG_MAP: Final = "tag:yaml.org,2002:map"
_TAG_SEQ: Final = "tag:yaml.org,2002:seq"
_TAG_MERGE: Final = "tag:yaml.org,2002:merge"
# Implicit scalar kinds whose SafeConstructor value equals the round-trip constructor's.
_SCALAR_TAGS: Final = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float", "timestamp", "binary")
)

_loader_class: Any = None


def available() -> bool:
    """True when the C parser can be used (``ruamel.yaml.clib`` is installed and loads)."""
    return _get_loader_class() is not None


def parse_fast(text: str) -> Any:
    """The document of ``text`` (one YAML document); FastPathUnavailable when unsure."""
    cls = _get_loader_class()
    if cls is None:
        raise FastPathUnavailable("no C YAML parser")
    # `in` first: the regexps alone would cost ~90 ms on a 10,000-camera file.
    if (
        ("%" in text and _DIRECTIVE.search(text))
        or ("!" in text and _TAG.search(text))
        or ("&" in text and _ANCHOR.search(text))
    ):
        raise FastPathUnavailable("YAML directive, explicit tag or anchor")
    if _UNUSUAL_CHAR.search(text):
        raise FastPathUnavailable("unusual character")
    loader = cls(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return _Builder(loader).build(node)
    except FastPathUnavailable:
        raise
    except Exception as err:  # any complaint at all: the rt loader is the reference, and words it
        # Never chain or echo: a YAML error quotes the source line (maybe a password).
        raise FastPathUnavailable(type(err).__name__) from None
    finally:
        loader.dispose()


class _Builder:
    """Node tree -> Python values; aliases share one value, as with ruamel's constructors."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        # The resolver hands out these very Tag objects: identity is the cheap comparison.
        self.str_tag, self.seq_tag, self.map_tag = loader.implicit_tags
        self.done: dict[int, Any] = {}  # id(node) -> collection: an alias yields the same one
        self.busy: set[int] = set()  # collections under construction (a recursive alias)

    def build(self, node: Any) -> Any:
        ctag, value = node.ctag, node.value
        if ctag is self.str_tag and isinstance(value, str):
            return value
        if not isinstance(value, list):  # a scalar: null, bool, int, float, timestamp...
            tag = str(ctag)
            if tag == _TAG_STR:
                return value
            if tag not in _SCALAR_TAGS:
                raise FastPathUnavailable("tag")
            return self.loader.yaml_constructors[tag](self.loader, node)
        key = id(node)
        if key in self.done:
            return self.done[key]
        if key in self.busy:
            raise FastPathUnavailable("recursive alias")
        self.busy.add(key)
        if ctag is self.map_tag or str(ctag) == _TAG_MAP:
            out: Any = self._mapping(node)
        elif ctag is self.seq_tag or str(ctag) == _TAG_SEQ:
            out = self._sequence(node)
        else:
            raise FastPathUnavailable("tag")
        self.busy.discard(key)
        self.done[key] = out
        return out

    def _mapping(self, node: Any) -> LinedDict:
        out = LinedDict()
        mark = node.start_mark
        out.lc = lc = LineCol(mark.line, mark.column)
        lines = lc.data
        build = self.build
        for key_node, value_node in node.value:
            if key_node.ctag is not self.str_tag and str(key_node.ctag) == _TAG_MERGE:
                raise FastPathUnavailable("merge key")
            key = build(key_node)
            if type(key) is not str:
                # `2026-11-28T07:00:00Z:` as a site name: str() of ruamel's TimeStamp may differ
                # from a datetime's. Inventory keys are strings; the odd ones go the slow way.
                raise FastPathUnavailable("key not a string")
            if key in out:
                raise FastPathUnavailable("duplicate key")
            out[key] = build(value_node)
            mark = key_node.start_mark
            lines[key] = (mark.line, mark.column)
        return out

    def _sequence(self, node: Any) -> LinedList:
        out = LinedList()
        mark = node.start_mark
        out.lc = lc = LineCol(mark.line, mark.column)
        lines = lc.data
        for idx, child in enumerate(node.value):
            out.append(self.build(child))
            mark = child.start_mark
            lines[idx] = (mark.line, mark.column)
        return out


def _get_loader_class() -> Any:
    """The C-parser loader class, built once; None without the C extension."""
    global _loader_class
    if _loader_class is None:
        _loader_class = _make_loader_class() or False
    return _loader_class or None


def _make_loader_class() -> Any:
    try:
        from ruamel.yaml.constructor import SafeConstructor
        from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]
        from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
        from ruamel.yaml.resolver import BaseResolver, implicit_resolvers
    except ImportError:  # no ruamel.yaml.clib (PyPy, a platform without a wheel)
        return None

    # ruamel's YAML 1.2 implicit resolvers (first character -> [(tag, regexp)]), compiled once.
    # Its VersionedResolver re-derives the version through two failing attribute lookups and
    # goes through a lazy proxy per regexp, for every scalar: most of a C-parser load's time.
    table: dict[str, list[tuple[Any, re.Pattern[str]]]] = {}
    for versions, tag, regexp, first in implicit_resolvers:
        if (1, 2) in versions:
            for ch in first:
                table.setdefault(ch, []).append(
                    (_tag(tag), re.compile(regexp.pattern, regexp.flags))
                )
    str_tag, seq_tag, map_tag = _tag(_TAG_STR), _tag(_TAG_SEQ), _tag(_TAG_MAP)

    class Resolver12(BaseResolver):  # type: ignore[misc]
        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            """Same answers as ``VersionedResolver.resolve`` at YAML 1.2, no path resolvers."""
            if kind is ScalarNode:
                if implicit[0]:
                    for tag, regexp in table.get(value[:1], ()):
                        if regexp.match(value):
                            return tag
                return str_tag
            return seq_tag if kind is SequenceNode else map_tag if kind is MappingNode else None

        @property
        def processing_version(self) -> Any:
            return (1, 2)  # what SafeConstructor's int/float rules ask

    class Loader(CParser, SafeConstructor, Resolver12):  # type: ignore[misc]
        implicit_tags = (str_tag, seq_tag, map_tag)

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            self._parser = self._composer = self
            SafeConstructor.__init__(self, loader=self)
            self.allow_duplicate_keys = False
            Resolver12.__init__(self, loadumper=self)

    return Loader


def _tag(suffix: str) -> Any:
    from ruamel.yaml.tag import Tag

    tag = Tag(suffix=suffix)
    str(tag)  # computes its text once (Tag caches it): _Builder reads it for every node
    return tag
