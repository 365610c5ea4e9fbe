"""`fleetctl discover` run function and its renderers (table, json, csv, inventory YAML).

stdout carries only the requested format; the one-line summary goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import re
import sys
from collections.abc import Sequence
from typing import TextIO

from fleetctl.base.i18n import N_, _, word
from fleetctl.cli.render.check import number
from fleetctl.core.errors import UsageError
from fleetctl.core.exitcodes import ExitCode
from fleetctl.core.models import Inventory
from fleetctl.engine.discover import (
    DeviceStatus,
    DiscoveredDevice,
    DiscoverOptions,
    DiscoveryReport,
    discover,
)

DEFAULT_INVENTORY = "inventories"


def run(args: argparse.Namespace) -> int:
    inventory = _inventory(args.inventory)
    ranges = tuple(args.ranges) or _site_ranges(inventory, args.site)
    if args.no_sweep:
        ranges = ()
    if args.no_multicast and not ranges:
        raise UsageError(_("nothing to do: --no-multicast needs --range or sites with `ranges:`"))
    if args.rate <= 0 or args.repeats < 1 or args.wait < 0:
        raise UsageError(_("--rate must be > 0, --repeats >= 1 and --wait >= 0"))
    opts = DiscoverOptions(
        ranges=ranges,
        interfaces=tuple(args.interfaces) if args.interfaces else None,
        multicast=not args.no_multicast,
        rate=args.rate,
        repeats=args.repeats,
        wait_s=args.wait,
        enrich=not args.no_info,
        timeout_s=args.timeout,
        concurrency=max(1, args.concurrency),
        **({"tcp_ports": args.tcp_ports} if args.tcp_ports is not None else {}),
    )
    report = asyncio.run(discover(inventory, opts))
    render(report, args.format, sys.stdout)
    print(summary(report), file=sys.stderr)
    if report.busy:
        print(busy_warning(report), file=sys.stderr)
    return ExitCode.OK


def busy_warning(report: DiscoveryReport) -> str:
    """What to say when the machine was too busy to listen on time: never a silent zero."""
    return _(
        "warning: this machine was busy: discovery lost %(slip).1f s of listening time and "
        "listened longer to make up for it; devices may still be missing (run it again, or "
        "raise --wait)"
    ) % {"slip": report.slip_s}


def _inventory(path: str) -> Inventory | None:
    # `fleetctl discover --range ...` must work on a laptop with no inventory at all; an
    # inventory named explicitly must exist.
    if path == DEFAULT_INVENTORY and not os.path.exists(path):
        return None
    from fleetctl.core.inventory.load import load_inventory

    return load_inventory(path)


def _site_ranges(inventory: Inventory | None, site: str | None) -> tuple[str, ...]:
    if inventory is None:
        if site:
            raise UsageError(_("--site %(site)s: no inventory loaded") % {"site": site})
        return ()
    sites = inventory.sites
    if site:
        found = inventory.site(site)
        if found is None:
            raise UsageError(_("no site named %(site)r in the inventory") % {"site": site})
        sites = (found,)
    return tuple(r for s in sites for r in s.ranges)


def summary(report: DiscoveryReport) -> str:
    counts = {s: 0 for s in DeviceStatus}
    for d in report.devices:
        counts[d.status] += 1
    parts = ", ".join(f"{n} {device_word(s.value)}" for s, n in counts.items())
    where = []
    if report.interfaces:
        where.append(_("multicast from %(ifs)s") % {"ifs": ", ".join(report.interfaces)})
    if report.swept:
        where.append(
            _("%(n)d addresses swept with %(probes)d probes")
            % {"n": report.swept, "probes": report.packets}
        )
    return _("discover: %(counts)s (%(where)s) in %(seconds)s s") % {
        "counts": parts,
        "where": "; ".join(where) or _("nothing probed"),
        "seconds": number(report.duration_s, 1),
    }


# Device statuses (JSON keywords) as a person reads them.
_DEVICE_WORDS = {
    "new": N_("new"),
    "known": N_("known"),
    "moved": N_("moved"),
    "missing": N_("missing"),
}


def device_word(status: str) -> str:
    known = _DEVICE_WORDS.get(status)
    return _(known) if known else status


# Set-up states (JSON keywords) as a person reads them; "device state|" is for the translator.
_STATE_WORDS = {
    "inactive": N_("device state|inactive"),
    "uninitialised": N_("device state|uninitialised"),
    "needs-setup": N_("device state|needs-setup"),
    "ready": N_("device state|ready"),
}


def state_word(state: str) -> str:
    known = _STATE_WORDS.get(state)
    return word(known) if known else state


def render(report: DiscoveryReport, fmt: str, out: TextIO) -> None:
    if fmt == "json":
        json.dump(report.to_json(), out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif fmt == "csv":
        _csv(report.devices, out)
    elif fmt == "inventory":
        out.write(inventory_yaml(report.devices))
    else:
        _table(report.devices, out)


CSV_FIELDS = (
    "status",
    "address",
    "port",
    "camera",
    "site",
    "endpoint",
    "manufacturer",
    "model",
    "firmware",
    "serial",
    "name",
    "hardware",
    "location",
    "mac",
    "xaddrs",
    "via",
    "alive",
    "previous_address",
    "state",
)


def _row(d: DiscoveredDevice) -> dict[str, str]:
    j = d.to_json()
    flat = {**j, **j["scopes"], "xaddrs": " ".join(j["xaddrs"]), "via": "+".join(j["via"])}
    return {k: "" if flat.get(k) is None else str(flat[k]) for k in CSV_FIELDS}


def _csv(devices: Sequence[DiscoveredDevice], out: TextIO) -> None:
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for d in devices:
        writer.writerow(_row(d))


def _table(devices: Sequence[DiscoveredDevice], out: TextIO) -> None:
    cols = (
        _("STATUS"),
        _("STATE"),
        _("ADDRESS"),
        _("PORT"),
        _("CAMERA"),
        _("DEVICE"),
        _("SERIAL"),
        _("FIRMWARE"),
        "MAC",
        _("VIA"),
    )
    rows = []
    for d in devices:
        r = _row(d)
        what = " ".join(filter(None, (r["manufacturer"], r["model"]))) or r["name"] or r["hardware"]
        was = r["previous_address"]
        camera = r["camera"] + (" " + _("(was %(address)s)") % {"address": was} if was else "")
        rows.append(
            (
                device_word(r["status"]),
                state_word(r["state"]) if r["state"] else "-",
                r["address"],
                r["port"],
                camera or "-",
                what or "-",
                r["serial"] or "-",
                r["firmware"] or "-",
                # One spelling in the table: SADP says 00-11-22-..., the others 00:11:22:...
                r["mac"].replace("-", ":").lower() or "-",
                r["via"] or "-",
            )
        )
    widths = [max([len(c)] + [len(row[i]) for row in rows]) for i, c in enumerate(cols)]
    for row in (cols, *rows):
        out.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:24] or "cam"


def inventory_yaml(devices: Sequence[DiscoveredDevice]) -> str:
    """New devices as YAML list items ready to paste under ``sites.<site>.cameras``.

    Values are written as JSON strings, which YAML reads unchanged (UTF-8 kept). Moved
    cameras are listed as comments: their inventory entry needs a new host, not a new camera.
    """
    lines = ["# fleetctl discover: paste under sites.<site>.cameras"]
    accepted = _accepted_keys()
    names: set[str] = set()
    for d in devices:
        if d.status is DeviceStatus.MOVED:
            lines.append(
                f"# moved: {d.camera} {d.previous_address} -> {d.address} (update its host)"
            )
    for d in devices:
        if d.status is not DeviceStatus.NEW:
            continue
        dev = d.device
        base = _slug((dev.manufacturer if dev else None) or d.scopes.hardware or "cam")
        tail = (d.mac or "").replace(":", "")[-6:] or d.address.replace(".", "-")
        name, n = f"{base}-{tail}", 2
        while name in names:
            name, n = f"{base}-{tail}-{n}", n + 1
        names.add(name)
        lines.append(f"- name: {_q(name)}")
        lines.append(f"  host: {_q(d.address)}")
        if d.port is not None and d.port != 80:
            lines.append(f"  port: {d.port}")
        for key, value in (("endpoint", d.endpoint), ("serial", d.serial), ("mac", d.mac)):
            if value:
                # An identity key the inventory schema does not accept yet would make the
                # pasted block fail to load: keep it as a comment until the schema knows it.
                mark = "" if key in accepted else "# "
                lines.append(f"  {mark}{key}: {_q(value)}")
        if d.scopes.location:  # the camera's own idea ("city/hangzhou"): a hint, not a value
            lines.append(f"  # location scope: {_q(d.scopes.location)}")
    return "\n".join(lines) + "\n"


def _accepted_keys() -> frozenset[str]:
    try:
        from fleetctl.core.inventory.schema import CAMERA_FIELDS
    except ImportError:
        return frozenset({"endpoint", "serial", "mac"})
    return frozenset(CAMERA_FIELDS)


# Characters YAML reads as a line break (NEL, LINE/PARAGRAPH SEPARATOR) or that a terminal acts
# on (DEL, C1 controls) but that json.dumps(ensure_ascii=False) leaves raw. A device's scope
# text is the device's word: a raw line break in it would end a comment and start a key.
_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff]")


def _q(value: str) -> str:
    """A double-quoted scalar YAML and JSON read the same, on one line whatever ``value`` holds."""
    text = json.dumps(value, ensure_ascii=False)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
