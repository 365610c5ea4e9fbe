"""`fleetctl onboard` run function and its renderers (table, json).

The engine records each device's actions and reason as messages: JSON shows them in English
(JSON never changes with the language), the table in the user's language. stdout carries only
the requested format; the one-line summary goes to stderr. Exit status:
0 when every device was onboarded or skipped (or, with --dry-run, planned), 2 when any failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TextIO

from fleetctl.base.i18n import N_, _, word
from fleetctl.cli.render.check import number
from fleetctl.core.errors import UsageError
from fleetctl.core.exitcodes import ExitCode
from fleetctl.engine.onboard import refusals
from fleetctl.engine.onboard.runner import OnboardReport, Result


def run(args: argparse.Namespace) -> int:
    from fleetctl.core.push.profile import load_profile
    from fleetctl.engine.discover import DiscoverOptions
    from fleetctl.engine.onboard.runner import OnboardOptions, onboard
    from fleetctl.engine.workspace import load_workspace

    ws = load_workspace(args.inventory, args.secrets)
    site = ws.inventory.site(args.site)
    if site is None and not args.inventory_file:
        known = ", ".join(s.name for s in ws.inventory.sites) or _("none")
        raise UsageError(
            _(
                "no site named %(site)r (known: %(known)s); to start a new one, "
                "give --inventory-file and --credentials"
            )
            % {"site": args.site, "known": known}
        )
    ranges = tuple(args.ranges) + tuple(args.addresses) or (site.ranges if site else ())
    if not ranges:
        raise UsageError(
            _("site %(site)r has no `ranges:`: give --range or --address") % {"site": args.site}
        )
    credentials = args.credentials or (site.credentials if site else None)
    unique = args.unique_passwords or bool(site and site.unique_passwords)
    if not credentials and not unique:
        raise UsageError(
            _(
                "site %(site)r names no `credentials:`: give --credentials NAME or --unique-passwords"
            )
            % {"site": args.site}
        )
    inventory_file = args.inventory_file or (site.source.file if site and site.source else None)
    if inventory_file is None:
        raise UsageError(_("give --inventory-file: the site's file is unknown"))
    if args.timeout <= 0 or args.wait < 0 or args.stream_window <= 0:
        raise UsageError(_("--timeout and --stream-window must be > 0, --wait >= 0"))
    opts = OnboardOptions(
        site=args.site,
        inventory_file=inventory_file,
        secrets_path=ws.secrets.path,
        credentials=credentials,
        unique_passwords=unique,
        profile=load_profile(args.profile) if args.profile else None,
        factory_credentials=tuple(args.factory_credentials),
        port=site.port if site else 80,
        dry_run=args.dry_run,
        timeout_s=args.timeout,
        concurrency=max(1, args.concurrency),
        stream_window_s=args.stream_window,
        refusals_path=refusals.default_path(),
        discover=DiscoverOptions(
            ranges=ranges,
            multicast=not args.no_multicast,
            wait_s=args.wait,
            timeout_s=min(args.timeout, 3.0),
        ),
    )
    report = asyncio.run(onboard(ws.inventory, ws.secrets, opts))
    render(report, args.format, sys.stdout)
    print(summary(report), file=sys.stderr)
    if report.discovery_slip_s:
        print(
            _(
                "warning: this machine was busy: discovery lost %(slip).1f s of listening time; "
                "devices may be missing from this run"
            )
            % {"slip": report.discovery_slip_s},
            file=sys.stderr,
        )
    return ExitCode.CRIT if report.summary[Result.FAILED.value] else ExitCode.OK


def summary(report: OnboardReport) -> str:
    parts = ", ".join(
        f"{n} {onboard_word(k)}" for k, n in report.summary.items() if n or k == "failed"
    )
    mode = " " + _("(dry run: nothing was written)") if report.dry_run else ""
    return (
        _("onboard %(site)s: %(counts)s in %(seconds)s s")
        % {
            "site": report.site,
            "counts": parts,
            "seconds": number(report.duration_s, 1),
        }
        + mode
    )


# Results and steps (JSON keywords) as a person reads them.
_ONBOARD_WORDS = {
    "onboarded": N_("onboarded"),
    "planned": N_("planned"),
    # "onboard|": the device did not make it (Vietnamese "thất bại"), not a broken one ("hỏng").
    "failed": N_("onboard|failed"),
    "skipped": N_("skipped"),
    "find": N_("find"),
    "activate": N_("activate"),
    "login": N_("login"),
    "account": N_("account"),
    "baseline": N_("baseline"),
    "verify": N_("verify"),
    "inventory": N_("inventory"),
    "done": N_("done"),
}


def onboard_word(key: str) -> str:
    known = _ONBOARD_WORDS.get(key)
    return word(known) if known else key


def render(report: OnboardReport, fmt: str, out: TextIO) -> None:
    if fmt == "json":
        json.dump(report.to_json(), out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    cols = (_("ADDRESS"), _("RESULT"), _("STEP"), _("NAME"), _("DEVICE"), _("DETAIL"))
    rows, notes = [], []
    for d in report.devices:
        j = d.to_json()
        device = " ".join(filter(None, (j["manufacturer"], j["model"]))) or j["mac"] or "-"
        actions = d.action_texts()  # the user's language; JSON keeps the English
        detail = d.reason_text() or (actions[-1] if actions else "")
        rows.append(
            (
                d.address,
                onboard_word(d.result.value),
                onboard_word(d.step.value),
                d.name or "-",
                device,
                detail,
            )
        )
        # A plan is read in full; a failure keeps what was done before it (to resume by hand).
        notes.append(actions if d.result in (Result.PLANNED, Result.FAILED) else ())
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(cols[:-1])]
    for row, extra in ((cols, ()), *zip(rows, notes, strict=True)):
        line = "  ".join(v.ljust(w) for v, w in zip(row[:-1], widths, strict=True))
        out.write(f"{line}  {row[-1]}".rstrip() + "\n")
        for action in extra:
            out.write(f"    - {action}\n")
