"""Runs `fleetctl report`: reads the window from history, writes HTML/JSON/CSV and the PDF."""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

from fleetctl import __version__
from fleetctl.core.errors import FleetctlError, UsageError
from fleetctl.core.exitcodes import ExitCode
from fleetctl.core.models import Camera, Inventory
from fleetctl.core.report.export import CSV_FIELDS, csv_rows, to_json
from fleetctl.core.report.model import Report
from fleetctl.engine.history import HistoryStore

_SINCE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d|w)\s*$")
_UNIT_S = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str) -> timedelta:
    m = _SINCE.match(text)
    if not m or float(m.group(1)) <= 0:
        raise UsageError(f"--since wants a duration like 24h, 7d or 90m, got {text!r}")
    return timedelta(seconds=float(m.group(1)) * _UNIT_S[m.group(2)])


def parse_time(text: str, tz: tzinfo) -> datetime:
    """ISO 8601 date or date-time; without a zone it is ``tz`` (local time)."""
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"not a time: {text!r} (use e.g. 2026-12-06 or 2026-12-06T07:00)"
        ) from None
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=tz)


def window(args: argparse.Namespace, now: datetime, tz: tzinfo) -> tuple[datetime, datetime]:
    end = parse_time(args.end, tz) if args.end else now
    start = parse_time(args.start, tz) if args.start else end - parse_since(args.since or "24h")
    if start >= end:
        raise UsageError("the period is empty: --from must be before --to")
    return start, end


def locations(inventory: Inventory) -> dict[str, str | None]:
    return {s.name: s.location for s in inventory.sites}


def build(
    store: HistoryStore,
    cameras: Sequence[Camera],
    inventory: Inventory,
    start: datetime,
    end: datetime,
    tz: tzinfo,
) -> Report:
    from fleetctl.engine.report import make_report

    return make_report(store, cameras, start, end, locations=locations(inventory), tz=tz)


def render(report: Report, fmt: str, tz: tzinfo) -> str:
    if fmt == "json":
        return json.dumps(to_json(report, __version__), ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(csv_rows(report))
        return buf.getvalue()
    from fleetctl.cli.render.report_html import render_html

    return render_html(report, tz)


def write_pdf(html: str, path: str) -> None:
    """The same page through WeasyPrint (HTML/CSS to PDF in Python: no browser needed)."""
    import logging

    try:
        from weasyprint import HTML
    except (ImportError, OSError) as err:  # OSError: the system's Pango could not be loaded
        raise FleetctlError(
            f"--pdf needs WeasyPrint and the system's Pango (Debian: apt install libpango-1.0-0 "
            f"libpangoft2-1.0-0): {err}; the HTML page prints to PDF from any browser too"
        ) from err

    # WeasyPrint warns about every CSS property it does not implement (e.g. user-select in the
    # charts' SVG): noise for the user, the page prints fine without them.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    HTML(string=html).write_pdf(path)


def run(args: argparse.Namespace) -> int:
    from fleetctl.core.inventory.load import load_inventory
    from fleetctl.core.selection import select_cameras

    tz = datetime.now().astimezone().tzinfo or UTC
    start, end = window(args, datetime.now(UTC), tz)
    inventory = load_inventory(args.inventory)
    with HistoryStore(args.db) as store:
        cameras = select_cameras(inventory, args.select, store.last_statuses())
        if not cameras:
            raise UsageError(f"no camera matches --select {args.select!r}")
        report = build(store, cameras, inventory, start, end, tz)
    text = render(report, args.format, tz)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    elif not args.pdf or args.format != "html":
        sys.stdout.write(text)
    if args.pdf:
        html = text if args.format == "html" else render(report, "html", tz)
        write_pdf(html, args.pdf)
    return ExitCode.OK
