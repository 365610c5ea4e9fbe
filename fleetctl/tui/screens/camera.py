"""The camera view (`enter`): everything known about one camera, and quick actions."""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING, ClassVar, cast

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from fleetctl.core.models import Camera, CameraReport
from fleetctl.tui import cells
from fleetctl.tui.screens.fleet import request_bulk

if TYPE_CHECKING:
    from fleetctl.tui.app import FleetApp

_STATUS_STYLE = {"crit": "bold red", "unknown": "magenta", "warn": "yellow", "ok": "green"}


def _table(title: str, *columns: str) -> Table:
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        expand=True,
        box=None,
        header_style="dim",
    )
    for col in columns:
        table.add_column(col, overflow="fold")
    return table


def rtsp_url(camera: Camera, report: CameraReport | None) -> str | None:
    """The main stream's URL as the camera reported it (else the inventory's), no userinfo."""
    uri = next((s.uri for s in report.streams if s.uri), None) if report else None
    uri = uri or camera.rtsp_url
    return cells.strip_userinfo(uri) if uri else None


def ssh_command(camera: Camera) -> list[str] | None:
    """``ssh`` to a recorder; the password is never passed: ssh asks for it, or uses keys."""
    if camera.ssh is None:
        return None
    cmd = ["ssh", "-p", str(camera.ssh.port)]
    if camera.ssh.key_file:
        cmd += ["-i", camera.ssh.key_file]
    user = camera.ssh.username
    return [*cmd, f"{user}@{camera.host}" if user else camera.host]


class CameraScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "back"),
        Binding("c", "do('check')", "check now"),
        Binding("y", "copy_url", "copy RTSP URL"),
        Binding("s", "ssh", "ssh"),
        Binding("t", "do('sync_time')", "sync time"),
        Binding("R", "do('reboot')", "reboot"),
    ]

    def __init__(self, name: str) -> None:
        super().__init__()
        self.camera_name = name
        self._shown: CameraReport | None = None

    @property
    def fleet(self) -> FleetApp:
        return cast("FleetApp", self.app)

    @property
    def camera(self) -> Camera:
        return self.fleet.model.cameras[self.camera_name]

    def compose(self) -> ComposeResult:
        yield Static(id="title")
        with VerticalScroll():
            yield Static(id="body")
        yield Footer()

    def on_mount(self) -> None:
        self.fleet.fleet_changed.subscribe(self, self.refresh_data)
        self.refresh_data(None)

    def refresh_data(self, _: None = None) -> None:
        cam, rep = self.camera, self.fleet.model.reports.get(self.camera_name)
        if rep is self._shown and rep is not None:
            return  # fleet_changed fires ~10x a second during a sweep: redraw on news only
        self._shown = rep
        title = Text(f"{cam.name}", style="bold")
        title.append(f"  {cam.site}  {cam.host}:{cam.port}")
        status = rep.status.value if rep else cells.PENDING
        title.append(f"  {status}", style=_STATUS_STYLE.get(status, "dim"))
        if cam.location:
            title.append(f"  {cam.location}", style="dim")
        self.query_one("#title", Static).update(title)
        self.query_one("#body", Static).update(self._body(cam, rep))

    def _body(self, cam: Camera, rep: CameraReport | None) -> RenderableType:
        if rep is None:
            return Text("not checked yet: results appear here as they arrive", style="dim")
        parts: list[RenderableType] = []
        problems = _table("Problems", "severity", "kind", "problem", "since")
        for p in rep.problems:
            problems.add_row(
                Text(p.severity.value, _STATUS_STYLE[p.severity.value]),
                p.kind.value,
                Text(p.message),
                cells.ago(p.since),
            )
        parts.append(problems if rep.problems else Text("No problems", style="green"))
        dev = rep.device
        info = _table("Device", "manufacturer", "model", "firmware", "serial", "clock")
        info.add_row(
            *(
                Text(v or cells.NOT_READ)
                for v in (
                    dev and dev.manufacturer,
                    dev and dev.model,
                    dev and dev.firmware,
                    dev and dev.serial,
                )
            ),
            cells.clock_offset(rep.clock_offset_s),
        )
        parts.append(info)
        steps = _table("Checks", "probe", "status", "ms", "detail")
        for step in rep.checks:
            ms = cells.number(step.duration_ms, 0)
            steps.add_row(
                step.name,
                Text(step.status.value, _STATUS_STYLE[step.status.value]),
                ms,
                Text(step.detail),
            )
        parts.append(steps if rep.checks else Text("Checks: none reported", style="dim"))
        streams = _table("Streams", "profile", "status", "codec", "size", "fps", "kbit/s", "url")
        for s in rep.streams:
            size = f"{s.width}x{s.height}" if s.width and s.height else cells.NOT_READ
            conf = f"/{s.configured_fps:g}" if s.configured_fps else ""
            streams.add_row(
                Text(s.profile or cells.NOT_READ),
                Text(s.status.value, _STATUS_STYLE[s.status.value]),
                Text(s.codec or cells.NOT_READ),
                size,
                cells.number(s.fps) + conf,
                cells.number(s.bitrate_kbps, 0),
                Text(cells.strip_userinfo(s.uri) if s.uri else cells.NOT_READ),
            )
        parts.append(streams if rep.streams else Text("Streams: none read", style="dim"))
        storage = _table("Storage", "name", "state", "used", "recording", "overwrite", "via")
        for st in rep.storage:
            used = (
                f"{st.used_mb:.0f}/{st.total_mb:.0f} MB"
                if st.used_mb is not None and st.total_mb
                else cells.NOT_READ
            )
            storage.add_row(
                Text(st.name),
                Text(st.state or cells.NOT_READ),
                used,
                _yes(st.recording),
                _yes(st.overwrite),
                st.source or cells.NOT_READ,
            )
        parts.append(storage if rep.storage else Text("Storage: none reported", style="dim"))
        parts.append(self._timeline())
        return Group(*(Group(p, Text()) for p in parts))

    def _timeline(self) -> RenderableType:
        entries = self.fleet.timeline(self.camera_name)[:20] if self.fleet.timeline else []
        if not entries:
            return Text("Timeline: no history yet", style="dim")
        table = _table("Timeline (newest first)", "when", "event", "status", "detail")
        for e in entries:
            table.add_row(
                e.at.astimezone().strftime("%m-%d %H:%M"),
                e.event,
                e.status.value,
                Text(f"{e.kind.value}: {e.message}" if e.kind else e.message),
            )
        return table

    # ------------------------------------------------------------------ quick actions

    def action_back(self) -> None:
        self.dismiss(None)

    def action_do(self, action: str) -> None:
        request_bulk(self.fleet, action, [self.camera_name])

    def action_copy_url(self) -> None:
        url = rtsp_url(self.camera, self.fleet.model.reports.get(self.camera_name))
        if url is None:
            self.notify("no RTSP URL known for this camera yet", severity="warning", markup=False)
            return
        # OSC 52: reaches the operator's own clipboard even over SSH; shown too, in case the
        # terminal ignores OSC 52 (many do by default).
        self.app.copy_to_clipboard(url)
        self.notify(f"copied {url}", title="RTSP URL", markup=False)

    def action_ssh(self) -> None:
        cmd = ssh_command(self.camera)
        if cmd is None:
            self.notify(
                "no ssh: set `ssh:` for this camera in the inventory",
                severity="warning",
                markup=False,
            )
            return
        if shutil.which("ssh") is None:
            self.notify("the ssh client is not installed", severity="error", markup=False)
            return
        try:
            with self.app.suspend():
                subprocess.run(cmd, check=False)
        except SuspendNotSupported:
            self.notify(
                f"cannot suspend here (web?): run {' '.join(cmd)}", severity="warning", markup=False
            )


def _yes(value: bool | None) -> str:
    return cells.NOT_READ if value is None else ("yes" if value else "no")
