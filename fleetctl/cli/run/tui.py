"""Run functions of `fleetctl tui` and `fleetctl demo` (heavy imports happen here, not in --help)."""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from fleetctl.base.i18n import _
from fleetctl.core.errors import FleetctlError, UsageError
from fleetctl.core.exitcodes import ExitCode

if TYPE_CHECKING:
    from fleetctl.engine.workspace import Workspace
    from fleetctl.tui.app import FleetApp

SIM_READY_S = 120.0  # 500 simulated cameras bind ~2,000 sockets: seconds, not minutes


def build_app(args: argparse.Namespace, inventory: str, secrets: str | None) -> FleetApp:
    """The FleetApp on the engine: inventory, --select, history, read-only, limits."""
    from fleetctl.core.selection import parse_selection, select_cameras
    from fleetctl.engine.actions import EngineActions
    from fleetctl.engine.check.runner import CheckOptions
    from fleetctl.engine.firmware import site_policies
    from fleetctl.engine.history import HistoryStore
    from fleetctl.engine.workspace import load_workspace
    from fleetctl.tui.app import FleetApp
    from fleetctl.tui.firmware import FirmwareContext
    from fleetctl.tui.footage_view import FootageSetup
    from fleetctl.tui.push_view import PushSetup
    from fleetctl.tui.source import EngineSource

    if args.interval < 0:
        raise UsageError(_("--interval must be 0 (one sweep) or more seconds"))
    workspace = load_workspace(inventory, secrets)
    history = (
        None if getattr(args, "no_history", False) else HistoryStore(getattr(args, "db", None))
    )
    expr = getattr(args, "select", "")
    # `status:` terms and problem words select by the last check: the history store knows it.
    sel = parse_selection(expr)
    last = history.last_statuses() if history is not None and sel.uses_status else None
    words = history.last_problems() if history is not None and sel.uses_problems else None
    cameras = select_cameras(workspace.inventory, expr, last, words)
    workspace.require_credentials(cameras)  # one clear error now, not a crit per camera later
    options = CheckOptions(
        timeout_s=getattr(args, "timeout", 10.0),
        concurrency=getattr(args, "concurrency", 256),
        stream_window_s=getattr(args, "window", 1.0),
    )
    source = EngineSource(workspace, options, history)
    actions = EngineActions(workspace, timeout_s=options.timeout_s)

    def rewire(fresh: Workspace) -> None:  # after a push rotated passwords
        source.workspace = actions.workspace = fresh

    # Profiles live next to the inventory (inventories/profiles/*.yaml) unless --profiles says.
    profiles = getattr(args, "profiles", None) or Path(inventory).parent / "profiles"
    push = PushSetup(
        workspace,
        Path(profiles),
        getattr(args, "journal", None),
        timeout_s=options.timeout_s,
        reload=lambda: load_workspace(inventory, secrets),
        rewire=rewire,
    )
    firmware = FirmwareContext(
        policies=site_policies(workspace.inventory),
        devices=history.devices() if history is not None else {},
        backup_dir=backup_folder(getattr(args, "backup_dir", None)),
    )
    return FleetApp(
        cameras,
        source,
        read_only=args.read_only,
        interval=args.interval,
        actions=actions,
        timeline=source.timeline,
        push=push,
        # "Xã Đông Tiến (Đông Sơn)": the commune or ward, and its group (the old district).
        site_names={
            s.name: f"{s.location} ({s.group})" if s.group else s.location
            for s in workspace.inventory.sites
            if s.location
        },
        report=(lambda: source.report(cameras)) if history is not None else None,
        firmware=firmware,
        footage=FootageSetup(workspace, timeout_s=options.timeout_s),
    )


DEFAULT_BACKUP_DIR = "backups"


def backup_folder(given: str | None) -> Path | None:
    """--backup-dir, else ./backups when it exists; None: the TUI shows no backups."""
    if given is not None:
        return Path(given)
    default = Path(DEFAULT_BACKUP_DIR)
    return default if default.is_dir() else None


def serve_web(args: argparse.Namespace, argv: list[str]) -> int:
    """`--web`: each browser session runs ``fleetctl <argv>`` (without --web), behind a token."""
    from fleetctl.tui.web import guard

    read_only = bool(getattr(args, "read_only", False))
    allow = bool(getattr(args, "allow_remote_actions", False))
    if guard.remote_start_problem(args.host, read_only, allow):
        raise UsageError(
            _(
                "--host {host} is reachable from other machines: add --read-only, or "
                "--allow-remote-actions to let anyone with the URL push and reboot"
            ).format(host=args.host)
        )
    if args.max_sessions < 1:
        raise UsageError(_("--max-sessions must be at least 1"))
    from fleetctl.tui.web.server import WebServer

    command = shlex.join([sys.executable, "-m", "fleetctl", *argv])
    server = WebServer(command, host=args.host, port=args.port, max_sessions=args.max_sessions)

    def announce(url: str) -> None:
        # Scripts (and the browser tests) wait for this line: it means "listening".
        print(
            _("fleetctl: serving the TUI on {url} (Ctrl-C stops)").format(url=url),
            file=sys.stderr,
            flush=True,
        )

    asyncio.run(server.run_until_signalled(announce))  # SIGINT/SIGTERM end it cleanly
    return ExitCode.OK


def _web_argv(args: argparse.Namespace) -> list[str]:
    """The command line again, minus the --web options: what each browser session runs."""
    argv = sys.argv[1:]
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--web":
            continue
        if arg in ("--allow-remote-actions",):
            continue
        if arg in ("--host", "--port", "--max-sessions"):
            skip = True
            continue
        if arg.startswith(("--host=", "--port=", "--max-sessions=")):
            continue
        out.append(arg)
    return out


def run_tui(args: argparse.Namespace) -> int:
    if args.web:
        return serve_web(args, _web_argv(args))
    app = build_app(args, args.inventory, args.secrets)
    app.run()
    return ExitCode.OK


# ---------------------------------------------------------------------------------- demo


class SimProcess:
    """`python -m fleetctl sim` in the background; ready when it has written its inventory.

    Readiness is the simulator's own signal (the inventory file appears once every server is
    listening), observed on each line it logs: no blind sleeping. Its output is drained to
    ``log`` so a full pipe can never stall it.
    """

    def __init__(self, workdir: Path, cameras: int, faults: str, seed: int, block: int = 0) -> None:
        self.inventory = workdir / "sim.yaml"
        self.log = workdir / "sim.log"
        self.ready = threading.Event()
        cmd = [
            sys.executable,
            "-m",
            "fleetctl",
            "sim",
            "--cameras",
            str(cameras),
            "--faults",
            faults,
            "--seed",
            str(seed),
            "--block",
            str(block),
            "--write-inventory",
            str(self.inventory),
        ]
        # Unbuffered: a piped child would otherwise hold its "listening" lines in a buffer.
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            env=env,
        )
        threading.Thread(target=self._drain, daemon=True, name="sim-log").start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        with self.log.open("w", encoding="utf-8") as out:
            for line in self.proc.stdout:
                out.write(line)
                out.flush()
                if self.inventory.exists():
                    self.ready.set()
        self.ready.set()  # it exited: wake the waiter, who sees no inventory

    def wait_ready(self, timeout_s: float) -> None:
        if not self.ready.wait(timeout_s) or not self.inventory.exists():
            self.stop()
            tail = self.log.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise FleetctlError(_("the simulator did not start (see below)") + f"\n{tail}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _warm_imports() -> None:
    import fleetctl.engine.actions
    import fleetctl.engine.check.runner
    import fleetctl.tui.app
    import fleetctl.tui.screens.fleet  # noqa: F401


def run_demo(args: argparse.Namespace) -> int:
    if args.cameras < 1:
        raise UsageError(_("--cameras must be at least 1"))
    with tempfile.TemporaryDirectory(prefix="fleetctl-demo-") as tmp:
        # A separate process keeps the simulator's 500 cameras off the TUI's event loop and GIL.
        sim = SimProcess(Path(tmp), args.cameras, args.faults, args.seed, args.block)
        try:
            print(
                "fleetctl demo: " + _("starting %(n)d simulated cameras...") % {"n": args.cameras},
                file=sys.stderr,
            )
            _warm_imports()  # Textual, zeep, the engine: loaded while the simulator binds
            sim.wait_ready(SIM_READY_S)
            args.db = str(Path(tmp) / "history.sqlite")  # a demo leaves no history behind
            if args.web:  # each browser session runs `fleetctl tui` on the simulated fleet
                argv = [
                    "tui",
                    "-i",
                    str(sim.inventory),
                    "--db",
                    args.db,
                    "--interval",
                    str(args.interval),
                ]
                return serve_web(args, [*argv, "--read-only"] if args.read_only else argv)
            app = build_app(args, str(sim.inventory), None)
            app.run()
        finally:
            sim.stop()
    return ExitCode.OK
