"""Output helpers every command shares: a rich table, JSON or CSV from the same rows.

    emit(rows, columns, fmt, title=..., json_obj=...)   one call per command
    to_jsonable(value)                                 dataclasses/enums/datetimes -> JSON types

Rows are mappings (column key -> value). Data goes to stdout, nothing else does: progress and
logs belong on stderr so ``fleetctl ... --format json | jq`` works. A ``Secret`` is rendered as
``********`` in every format, whatever the caller forgot. Imported only inside ``run`` functions
(it imports rich).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from enum import Enum
from typing import IO, Any, Literal

from fleetctl.base.i18n import _
from fleetctl.base.stdout import write_all
from fleetctl.core.secret import Secret

MASK = "********"
STATUS_STYLE = {
    "ok": "green",
    "warn": "yellow",
    "crit": "bold red",
    "unknown": "magenta",
    # footage coverage
    "full": "green",
    "partial": "yellow",
    "none": "bold red",
}


@dataclasses.dataclass(frozen=True)
class Column:
    key: str
    header: str  # English, marked N_ where declared; the table shows _(header)
    justify: Literal["left", "right", "center"] = "left"
    status: bool = False  # colour the cell by its ok/warn/crit/unknown value
    no_wrap: bool = False


def to_jsonable(value: Any) -> Any:
    """Plain JSON types: dataclasses as dicts, enums as values, datetimes ISO-8601 ``Z``."""
    if isinstance(value, Secret):
        return MASK
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
            return value.isoformat(timespec="seconds") + "Z"
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return value


def cell_text(value: Any, shown: bool = True) -> str:
    """One value as table/CSV text: None is empty, sequences joined, floats trimmed.

    ``shown``: for a person (a table): yes/no in the chosen language; CSV (``shown=False``) is
    for scripts and keeps the English words whatever the language."""
    if value is None:
        return ""
    if isinstance(value, Secret):
        return MASK
    if isinstance(value, bool):
        if not shown:
            return "yes" if value else "no"
        return _("yes") if value else _("no")
    if isinstance(value, Enum):
        # An enum with a label() (Status, Coverage) is read in the chosen language in a table;
        # CSV keeps the value, the scripts' keyword.
        label = getattr(value, "label", None)
        return str(label()) if shown and callable(label) else str(value.value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(cell_text(v, shown) for v in value)
    return str(value)


def print_json(obj: Any, file: IO[str] | None = None) -> None:
    # ensure_ascii=False: "Chợ Đông Tiến" stays readable (and round-trips) in the output.
    text = json.dumps(to_jsonable(obj), ensure_ascii=False, indent=2) + "\n"
    if file is None:
        write_all(text)  # every byte, even to a pipe read late (base/stdout.py)
    else:
        file.write(text)


def print_csv(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], file: IO[str] | None = None
) -> None:
    out = file or sys.stdout
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.key for c in columns])  # machine-friendly keys, as in JSON
    for row in rows:
        writer.writerow(
            [
                "; ".join(cell_text(x, False) for x in v)
                if isinstance(v, list | tuple)
                else cell_text(v, False)
                for v in (row.get(c.key) for c in columns)
            ]
        )


def console(file: IO[str] | None = None) -> Any:
    """A rich Console on ``file`` (stdout); piped output gets a wide width, not 80 columns."""
    from rich.console import Console

    out = file or sys.stdout
    tty = hasattr(out, "isatty") and out.isatty()
    return Console(file=out, width=None if tty else 1000, highlight=False, soft_wrap=not tty)


def print_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    *,
    title: str | None = None,
    caption: str | None = None,
    file: IO[str] | None = None,
) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=title, caption=caption, header_style="bold", show_edge=False, pad_edge=False
    )
    for col in columns:
        # Headers are msgids (marked N_ where the columns are declared); CSV keeps the keys.
        table.add_column(_(col.header), justify=col.justify, no_wrap=col.no_wrap)
    for row in rows:
        cells = []
        for col in columns:
            value = row.get(col.key)
            text = cell_text(value)
            # The colour follows the keyword ("crit"), whatever the language shows.
            key = str(value.value) if isinstance(value, Enum) else text
            # Text(), not a markup string: a location like "[kho]" must print as written.
            cells.append(Text(text, style=STATUS_STYLE.get(key, "") if col.status else ""))
        table.add_row(*cells)
    console(file).print(table)


def emit(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    fmt: str,
    *,
    title: str | None = None,
    caption: str | None = None,
    json_obj: Any = None,
    file: IO[str] | None = None,
) -> None:
    """Print ``rows`` as ``fmt`` (table, json, csv). JSON prints ``json_obj`` if given, else the rows."""
    if fmt == "json":
        print_json(rows if json_obj is None else json_obj, file)
    elif fmt == "csv":
        print_csv(rows, columns, file)
    else:
        print_table(rows, columns, title=title, caption=caption, file=file)
