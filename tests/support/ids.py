"""Readable ids for table-driven tests whose cells are records (``ids=cell``, ``ids=cell_vs(...)``).

pytest names a cell it cannot print after its argument (``probe3``, ``policy3``): a failing
row then says nothing until the table is read. These say what the row is about, from the value
itself, so rows added later get names without a list of ids to keep in step:

- a record by its failure, else by the fields it sets: ``clock_offset_s=30.0``, ``frozen``,
  ``no-overwrite``; with ``cell_vs(healthy, ...)``, by the fields that differ from the healthy
  record of its type (and ``healthy`` when none does);
- expected problems as ``kind/severity`` joined by ``+``, an empty list as ``nothing``;
- enums by their value, ``None`` as ``none``, a mapping as ``key=value,...`` (``empty``), a
  list of words as the command line it is, a set as its members.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from enum import Enum

MAX = 48  # characters of one cell's id

# Text fields that say what a record is about (identifiers, URIs and names do not).
_TELLING_TEXT = frozenset({"state", "job_state", "codec", "unsupported"})


def cell(value: object) -> str:
    return _render(value, {})[:MAX]


def cell_vs(*healthy: object) -> Callable[[object], str]:
    """Ids that name a record by what differs from the healthy record of its type."""
    known: dict[type, object] = {}

    def collect(value: object) -> None:
        if _is_record(value):
            known.setdefault(type(value), value)
            for f in dataclasses.fields(value):  # type: ignore[arg-type]
                collect(getattr(value, f.name))
        elif isinstance(value, list | tuple):
            for item in value:
                collect(item)

    for value in healthy:
        collect(value)
    return lambda value: _render(value, known)[:MAX]


def _render(value: object, known: dict[type, object]) -> str:
    if value is None:
        return "none"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, str | bool | int | float):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    if isinstance(value, dict):
        return ",".join(f"{k}={_render(v, known)}" for k, v in value.items()) or "empty"
    if isinstance(value, set | frozenset):
        return "+".join(sorted(_render(v, known) for v in value)) or "nothing"
    if isinstance(value, list | tuple):
        if not value:
            return "nothing"
        if all(isinstance(v, str) for v in value):
            return (" " if isinstance(value, list) else ":").join(value)  # argv; a (user, pw)
        return "+".join(_pair(v) if _is_problem(v) else _render(v, known) for v in value)
    if _is_record(value):
        return _record(value, known)
    return type(value).__name__


def _is_record(value: object) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def _is_problem(value: object) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, Enum) for v in value)


def _pair(value: tuple[Enum, Enum]) -> str:
    return f"{value[0].value}/{value[1].value}"


def _record(value: object, known: dict[type, object]) -> str:
    failure = getattr(value, "failure", None)
    if isinstance(failure, Enum):
        return str(failure.value)
    base = known.get(type(value))
    said = []
    for f in dataclasses.fields(value):  # type: ignore[arg-type]
        if base is not None:
            usual = getattr(base, f.name)
        elif f.default_factory is not dataclasses.MISSING:
            usual = f.default_factory()
        else:
            usual = f.default
        got = getattr(value, f.name)
        if got == usual or got is None or (base is None and f.name in ("ok", "answered")):
            continue  # what every healthy record has (or lacks) says nothing about the row
        if isinstance(got, bool):
            said.append(f.name if got else f"no-{f.name}")
        elif isinstance(got, str):
            if f.name in _TELLING_TEXT or base is not None:
                said.append(f"{f.name}={got}" if f.name not in _TELLING_TEXT else got)
        elif isinstance(got, list | tuple) and got and not all(_is_record(v) for v in got):
            said.append(f.name)  # timings and the like: too long to spell out
        else:
            rendered = _render(got, known)
            said.append(
                rendered
                if _is_record(got) or isinstance(got, list | tuple)
                else f"{f.name}={rendered}"
            )
    if said:
        return ",".join(said)
    return "healthy" if base is not None else type(value).__name__.removesuffix("Probe").lower()
