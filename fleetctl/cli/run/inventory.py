"""`fleetctl inventory lint|list|show`: the run functions (registered in cli/commands/inventory.py).

lint  prints every problem as ``file:line: key: message`` (warnings say ``warning:``) on stdout,
      a one-line summary on stderr; exit 65 on any error, else 0.
list  the selected cameras as a table, JSON (``{"cameras": [...]}``) or CSV.
show  one camera with every inherited value applied and where each came from (JSON:
      ``origins``); a password shows as ``********``.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import sys
from typing import TYPE_CHECKING, Any

from fleetctl.base.i18n import N_, _, ngettext
from fleetctl.cli.render import common as render
from fleetctl.cli.render.common import Column
from fleetctl.core.errors import UsageError
from fleetctl.core.exitcodes import ExitCode
from fleetctl.core.models import Camera, Inventory

if TYPE_CHECKING:
    from fleetctl.engine.workspace import CredentialSource

LIST_COLUMNS = (
    Column("name", N_("Name"), no_wrap=True),
    Column("site", N_("Site")),
    Column("host", N_("Host"), no_wrap=True),
    Column("port", N_("Port"), justify="right"),
    Column("kind", N_("Kind")),
    Column("tags", N_("Tags")),
    Column("location", N_("Location")),
    Column("group", N_("Group")),  # last: CSV readers that count columns keep working
)


def run_lint(args: argparse.Namespace) -> int:
    from fleetctl.core.inventory.load import lint_inventory
    from fleetctl.engine.workspace import credential_issues

    inventory, issues = lint_inventory(args.inventory)
    if inventory is not None:
        issues = [*issues, *credential_issues(inventory, args.secrets)]
    for issue in issues:
        # str(issue) is also how every other command reports a broken inventory (cli/main.py).
        if issue.severity == "warning":
            issue = dataclasses.replace(
                issue, message=_("warning: %(message)s") % {"message": issue.message}
            )
        print(issue)
    errors = sum(1 for i in issues if i.severity == "error")
    warnings = len(issues) - errors
    if inventory is None:
        print(
            "fleetctl: "
            + _("%(errors)s, %(warnings)s: nothing will run on this inventory")
            % {"errors": _errors(errors), "warnings": _warnings(warnings)},
            file=sys.stderr,
        )
        return ExitCode.INVENTORY
    cams, sites, files = len(inventory.cameras), len(inventory.sites), len(inventory.files)
    print(
        _("inventory ok: %(cameras)s in %(sites)s (%(files)s), %(warnings)s")
        % {
            "cameras": ngettext("%(n)d camera", "%(n)d cameras", cams) % {"n": cams},
            "sites": ngettext("%(n)d site", "%(n)d sites", sites) % {"n": sites},
            "files": ngettext("%(n)d file", "%(n)d files", files) % {"n": files},
            "warnings": _warnings(warnings),
        },
        file=sys.stderr,
    )
    return ExitCode.OK


def run_list(args: argparse.Namespace) -> int:
    from fleetctl.core.inventory.load import load_inventory
    from fleetctl.core.selection import parse_selection, select_cameras

    inventory = load_inventory(args.inventory)
    last = words = None
    sel = parse_selection(args.select)
    if sel.uses_status or sel.uses_problems:
        # `status:` terms and problem words mean "as of the last check": read the history.
        from fleetctl.engine.history import HistoryStore

        with HistoryStore(args.db) as history:
            last = history.last_statuses() if sel.uses_status else None
            words = history.last_problems() if sel.uses_problems else None
    cameras = select_cameras(inventory, args.select, last, words)
    rows = [_row(c) for c in cameras]
    columns: tuple[Column, ...] = LIST_COLUMNS
    if last is not None:
        columns = (*LIST_COLUMNS[:1], Column("status", N_("Last"), status=True), *LIST_COLUMNS[1:])
        for row in rows:
            row["status"] = last.get(row["name"])
    total = len(inventory.cameras)
    caption = ngettext("%(n)d of %(total)d camera", "%(n)d of %(total)d cameras", total) % {
        "n": len(cameras),
        "total": total,
    }
    render.emit(
        rows,
        columns,
        args.format,
        caption=caption,
        json_obj={"cameras": [camera_dict(c) for c in cameras]},
    )
    return ExitCode.OK


def run_show(args: argparse.Namespace) -> int:
    from fleetctl.core.inventory.load import camera_origins, load_inventory

    inventory = load_inventory(args.inventory)
    camera = inventory.camera(args.name)
    if camera is None:
        raise UsageError(
            _("no camera named `%(name)s`") % {"name": args.name}
            + _did_you_mean(args.name, inventory)
        )
    from fleetctl.engine.workspace import credential_source

    data = camera_dict(camera)
    origins = camera_origins(args.inventory, camera.name)
    source = credential_source(inventory, camera, getattr(args, "secrets", None))
    if args.format == "json":
        render.print_json({**data, "origins": origins, "credential": _credential_json(source)})
        return ExitCode.OK
    rows = [
        {
            "key": k,
            "value": v,
            "from": origins.get(k, "built-in default" if k not in _DERIVED else ""),
        }
        for k, v in _flatten(data)
    ]
    if source is not None:
        _show_credential(rows, camera, source)
    columns = (
        Column("key", N_("Field"), no_wrap=True),
        Column("value", N_("Value")),
        Column("from", N_("From")),
    )
    render.print_table(rows, columns, title=camera.name)
    return ExitCode.OK


def run_trust(args: argparse.Namespace) -> int:
    """Record HOST's SSH host key in the inventory's known_hosts (or --known-hosts)."""
    import asyncio
    import os

    from fleetctl.engine.trust import trust_host

    path = args.known_hosts
    if path is None and os.path.exists(args.inventory):
        from fleetctl.core.inventory.load import load_inventory

        path = load_inventory(args.inventory).known_hosts_path
    try:
        found = asyncio.run(trust_host(args.host, args.port, path))
    except (OSError, TimeoutError) as err:
        print(
            _("{host}:{port}: no SSH host key ({why})").format(
                host=args.host, port=args.port, why=str(err) or type(err).__name__
            ),
            file=sys.stderr,
        )
        return ExitCode.UNAVAILABLE
    print(f"{found.host}:{found.port} {found.key_type} {found.fingerprint}")
    if found.outcome == "changed":
        print(
            _(
                "a different key is already recorded for this host in {file}: left alone; if the "
                "recorder was replaced, delete its line and run this again"
            ).format(file=found.file),
            file=sys.stderr,
        )
        return ExitCode.INVENTORY  # 65: the recorded data disagrees with the host
    words = _("recorded in {file}") if found.outcome == "added" else _("already in {file}")
    print(words.format(file=found.file), file=sys.stderr)
    return ExitCode.OK


_DERIVED = {"site", "source"}  # not inherited: where the camera itself stands
MASK = "********"


def _show_credential(rows: list[dict[str, Any]], camera: Camera, source: CredentialSource) -> None:
    """The user name a ``credentials:`` reference supplies, and where from; the password only
    as a mask. Inline values win over the reference, so their rows stay as they are."""
    if source.problem is not None:
        where = source.problem
    else:
        where = _("from credential `{name}` in {file}").format(name=source.name, file=source.file)
    if camera.username is not None:
        return  # an inline user name takes nothing from the reference (engine/workspace.py)
    for row in rows:
        if row["key"] == "username":
            row["value"], row["from"] = source.username or "", where
        elif row["key"] == "password" and camera.password is None:
            row["value"], row["from"] = (MASK if source.has_password else ""), where


def _credential_json(source: CredentialSource | None) -> dict[str, Any] | None:
    if source is None:
        return None
    return {
        "name": source.name,
        "file": source.file,
        "found": source.problem is None,
        "username": source.username,
        "problem": source.problem,
    }


def camera_dict(camera: Camera) -> dict[str, Any]:
    """A camera as JSON-ready data, every inherited value applied, no secret revealed."""
    data: dict[str, Any] = render.to_jsonable(camera)
    data["source"] = str(camera.source) if camera.source else None
    return data


def _row(camera: Camera) -> dict[str, Any]:
    kind = "onvif" if camera.onvif else "rtsp"
    if camera.ssh is not None:
        kind += "+ssh"
    return {
        "name": camera.name,
        "site": camera.site,
        "group": camera.group,
        "host": camera.host,
        "port": camera.port,
        "kind": kind,
        "tags": camera.tags,
        "location": camera.location,
    }


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            out.extend(_flatten(value, f"{prefix}{key}."))
        else:
            out.append((f"{prefix}{key}", value))
    return out


def _did_you_mean(name: str, inventory: Inventory) -> str:
    close = difflib.get_close_matches(name, [c.name for c in inventory.cameras], n=3)
    return " " + _("(did you mean %(names)s?)") % {"names": ", ".join(close)} if close else ""


def _errors(n: int) -> str:
    return ngettext("%(n)d error", "%(n)d errors", n) % {"n": n}


def _warnings(n: int) -> str:
    return ngettext("%(n)d warning", "%(n)d warnings", n) % {"n": n}
