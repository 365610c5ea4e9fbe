"""Runs `fleetctl serve`: a Monitor plus a small aiohttp server for /metrics, /healthz,
/report.json (the latest check of every camera) and /report (the daily report page, from history)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from aiohttp import web

from fleetctl.base import aio
from fleetctl.base.i18n import _
from fleetctl.base.logsafe import register_url
from fleetctl.cli.render.check import render_json
from fleetctl.core.errors import UsageError
from fleetctl.core.exitcodes import ExitCode
from fleetctl.core.selection import select_cameras
from fleetctl.engine.backup import BackupOptions
from fleetctl.engine.check.runner import CheckOptions
from fleetctl.engine.history import HistoryStore
from fleetctl.engine.retention import parse_keep
from fleetctl.engine.serve.metrics import Exposition
from fleetctl.engine.serve.monitor import Monitor, MonitorOptions, in_shard
from fleetctl.engine.serve.nightly import BACKUP_CONCURRENCY, NightlyBackup
from fleetctl.engine.serve.notify import webhook_notifier
from fleetctl.engine.serve.retention import DailyPrune
from fleetctl.engine.workspace import load_workspace

log = logging.getLogger(__name__)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(text: str) -> float:
    """'60s', '5m', '1.5h', '30' (seconds) -> seconds."""
    m = _DURATION.match(text)
    if not m or float(m.group(1)) <= 0:
        raise UsageError(_("not a duration: %(text)r (use e.g. 60s, 5m, 1h)") % {"text": text})
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(_("--listen wants HOST:PORT, got %(text)r") % {"text": text})
    return host.strip("[]") or "127.0.0.1", int(port)


def parse_shard(text: str) -> tuple[int, int]:
    k, sep, n = text.partition("/")
    if not sep or not k.isdigit() or not n.isdigit() or not 1 <= int(k) <= int(n):
        raise UsageError(_("--shard wants K/N with 1 <= K <= N, got %(text)r") % {"text": text})
    return int(k), int(n)


def build_app(monitor: Monitor, exposition: Exposition) -> web.Application:
    async def metrics(request: web.Request) -> web.Response:
        openmetrics = "application/openmetrics-text" in request.headers.get("Accept", "")
        # Rendering a large fleet is CPU work: do it off the event loop so checks keep their timing.
        # The view is copied here, on the loop's thread: the thread must not read live dicts.
        body, ctype = await asyncio.to_thread(exposition.render, openmetrics, exposition.view())
        return web.Response(body=body, headers={"Content-Type": ctype})

    async def healthz(request: web.Request) -> web.Response:
        # Healthy once a cycle completed and the monitor is not stuck (no camera checked for 3 intervals).
        newest = max(monitor.last_checked.values(), default=None)
        stale = newest is None or time.time() - newest > 3 * monitor.options.interval_s + 30
        body = {
            "status": "starting"
            if monitor.cycles == 0 and newest is None
            else ("stale" if stale else "ok"),
            "cameras": len(monitor.cameras),
            "checked": len(monitor.last_checked),
            "cycles": monitor.cycles,
            "last_cycle_s": monitor.last_cycle_s,
        }
        return web.json_response(body, status=200 if body["status"] in ("ok", "starting") else 503)

    async def report(request: web.Request) -> web.Response:
        text = render_json(monitor.snapshot())
        return web.Response(text=text, content_type="application/json")

    async def report_page(request: web.Request) -> web.Response:
        # The `fleetctl report` page over the last 24 h (or ?since=7d), from this serve's history.
        if monitor.history is None:
            return web.Response(
                status=404, text="fleetctl serve: no history (--no-history), no report\n"
            )
        from fleetctl.cli.run.report import parse_since

        try:
            since = parse_since(request.query.get("since", "24h"))
        except UsageError as err:
            return web.Response(status=400, text=f"fleetctl serve: {err}\n")
        # Reading history and drawing charts is CPU work: off the loop, so checks keep their timing.
        html = await asyncio.to_thread(_report_html, monitor, since)
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    async def index(request: web.Request) -> web.Response:
        return web.Response(text="fleetctl serve: /metrics /healthz /report.json /report\n")

    app = web.Application()
    app.add_routes(
        [
            web.get("/", index),
            web.get("/metrics", metrics),
            web.get("/healthz", healthz),
            web.get("/report.json", report),
            web.get("/report", report_page),
        ]
    )
    return app


def _report_html(monitor: Monitor, since: timedelta) -> str:
    from fleetctl.cli.run.report import build, render

    assert monitor.history is not None
    tz = datetime.now().astimezone().tzinfo or UTC
    end = datetime.now(UTC)
    inventory = monitor.workspace.inventory
    report = build(monitor.history, monitor.cameras, inventory, end - since, end, tz)
    return render(report, "html", tz)


async def serve(args: argparse.Namespace) -> int:
    interval = parse_duration(args.interval)
    host, port = parse_listen(args.listen)
    if args.flap_checks < 1:
        raise UsageError(_("--flap-checks must be 1 or more"))
    at = parse_clock(args.backup_at)
    keep = parse_keep(args.history_keep, "--history-keep")
    workspace = load_workspace(args.inventory, args.secrets)
    shard, shards = parse_shard(args.shard)
    cameras = [
        c
        for c in select_cameras(workspace.inventory, args.select)
        if in_shard(c.name, shard, shards)
    ]
    webhooks = webhook_urls(args.webhook, workspace.secrets)
    history = None if args.no_history else HistoryStore(args.db)
    opts = MonitorOptions(
        interval_s=interval,
        flap_checks=args.flap_checks,
        picture_every=args.picture_every,
        check=CheckOptions(
            timeout_s=args.timeout, concurrency=args.concurrency, stream_window_s=args.window
        ),
    )
    monitor = Monitor(
        workspace,
        cameras,
        opts,
        history=history,
        notifier=webhook_notifier(webhooks) if webhooks else None,
    )
    nightly = None
    if args.backup_dir is not None:
        nightly = NightlyBackup(
            workspace,
            cameras,
            args.backup_dir,
            at,
            options=BackupOptions(timeout_s=args.timeout, concurrency=BACKUP_CONCURRENCY),
            on_done=lambda run: print(
                f"fleetctl serve: {run.summary(args.backup_dir)}", file=sys.stderr, flush=True
            ),
        )
    pruner = None
    if history is not None and keep is not None and history.path != ":memory:":
        pruner = DailyPrune(
            history.path,
            keep,
            on_done=lambda result: print(
                f"fleetctl serve: {result.summary(history.path)}", file=sys.stderr, flush=True
            ),
        )
    runner = web.AppRunner(build_app(monitor, Exposition(monitor, nightly)), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0] if runner.addresses else (host, port)
    # One line on stderr that scripts (and our tests) wait for: the readiness signal.
    print(
        "fleetctl serve: "
        + _("%(n)d cameras (shard %(shard)d/%(shards)d) every %(interval)g s; listening on %(url)s")
        % {
            "n": len(cameras),
            "shard": shard,
            "shards": shards,
            "interval": interval,
            "url": f"http://{bound[0]}:{bound[1]}/metrics",
        },
        flush=True,
        file=sys.stderr,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        tasks = [t.run(stop) for t in (nightly, pruner) if t is not None]
        if not tasks:
            await monitor.run(stop)
        else:
            try:
                await asyncio.gather(monitor.run(stop), *tasks)
            finally:
                stop.set()  # one of them failed: the others end too
    finally:
        await runner.cleanup()
        if history is not None:
            history.close()
    return ExitCode.OK


def parse_clock(text: str) -> clock_time:
    """``--backup-at HH:MM`` (local time, 24 h)."""
    m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text.strip())
    if m is None:
        raise UsageError(
            _("--backup-at %(value)r: give a local time as HH:MM, e.g. 02:30") % {"value": text}
        )
    return clock_time(int(m.group(1)), int(m.group(2)))


def run(args: argparse.Namespace) -> int:
    return aio.run(serve(args))  # uvloop when installed (fleetctl/base/aio.py)


def webhook_urls(specs: list[str], secrets: Any) -> list[str]:
    """``--webhook`` values -> URLs: ``env:NAME`` (an environment variable), ``secret:NAME``
    (a ``NAME: {url: ...}`` entry of the secrets file) or a URL without a token.

    A token on the command line is visible to every local user in ``ps`` and lands in shell
    history and unit files: a URL carrying a password or a query value is refused."""
    import os
    from urllib.parse import urlsplit

    out = []
    for spec in specs:
        kind, _sep, name = spec.partition(":")
        if kind == "env" and name:
            url = os.environ.get(name)
            if not url:
                raise UsageError(
                    _("--webhook env:%(name)s: the environment variable is not set")
                    % {"name": name}
                )
            register_url(url)
        elif kind == "secret" and name:
            url = secrets.url(name).reveal()
        else:
            url = spec
            try:
                parts = urlsplit(url)
                risky = bool(parts.password or parts.query)
            except ValueError:
                risky = True
            if risky:
                raise UsageError(
                    _(
                        "--webhook: a URL with a token or query on the command line is visible to "
                        "every user in `ps`: use --webhook env:NAME (an environment variable) or "
                        "--webhook secret:NAME (`NAME: {url: ...}` in the secrets file)"
                    )
                )
        out.append(url)
    return out
