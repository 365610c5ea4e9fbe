"""The camera view (`enter`): everything known about one camera, and quick actions."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from fleetctl.base.i18n import N_, _, from_english, language
from fleetctl.core.models import Camera, CameraReport
from fleetctl.tui import cells
from fleetctl.tui.firmware import camera_firmware, last_backup
from fleetctl.tui.shell import BulkRequested, FleetHost, host
from fleetctl.tui.words import translate_bindings

_STATUS_STYLE = {"crit": "bold red", "unknown": "magenta", "warn": "yellow", "ok": "green"}


def _table(title: str, *columns: str) -> Table:
    """A section of the view; ``title`` and ``columns`` are English msgids (shown with _())."""
    table = Table(
        title=_(title),
        title_justify="left",
        title_style="bold",
        expand=True,
        box=None,
        header_style="dim",
    )
    for col in columns:
        table.add_column(_(col), overflow="fold")
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
        Binding("escape", "back", N_("back")),
        Binding("c", "do('check')", N_("check now")),
        Binding("y", "copy_url", N_("copy RTSP URL")),
        Binding("s", "ssh", N_("ssh")),
        Binding("t", "do('sync_time')", N_("sync time")),
        Binding("R", "do('reboot')", N_("reboot")),
    ]

    def __init__(self, name: str) -> None:
        super().__init__()
        translate_bindings(self)
        self.camera_name = name
        self._shown: CameraReport | None = None

    @property
    def fleet(self) -> FleetHost:
        return host(self)

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
        shown = rep.status.label() if rep else cells.PENDING
        title.append(f"  {shown}", style=_STATUS_STYLE.get(status, "dim"))
        if cam.location:
            title.append(f"  {cam.location}", style="dim")
        self.query_one("#title", Static).update(title)
        self.query_one("#body", Static).update(self._body(cam, rep))

    def _body(self, cam: Camera, rep: CameraReport | None) -> RenderableType:
        if rep is None:
            waiting = Text(_("not checked yet: results appear here as they arrive"), style="dim")
            return Group(waiting, Text(), self._firmware_and_backup())
        parts: list[RenderableType] = []
        problems = _table(N_("Problems"), N_("severity"), N_("kind"), N_("problem"), N_("since"))
        for p in rep.problems:
            problems.add_row(
                Text(p.severity.label(), _STATUS_STYLE[p.severity.value]),
                Text(_(_KIND_WORDS.get(p.kind.value, p.kind.value))),
                Text(p.text()),
                cells.ago(p.since),
            )
        parts.append(problems if rep.problems else Text(_("No problems"), style="green"))
        dev = rep.device
        info = _table(
            N_("Device"), N_("manufacturer"), N_("model"), N_("firmware"), N_("serial"), N_("clock")
        )
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
        parts.append(self._firmware_and_backup())
        steps = _table(N_("Checks"), N_("probe"), N_("status"), N_("ms"), N_("detail"))
        for step in rep.checks:
            ms = cells.number(step.duration_ms, 0)
            steps.add_row(
                _(_PROBE_WORDS.get(step.name, step.name)),
                Text(step.status.label(), _STATUS_STYLE[step.status.value]),
                ms,
                Text(step.text()),
            )
        parts.append(steps if rep.checks else Text(_("Checks: none reported"), style="dim"))
        streams = _table(
            N_("Streams"),
            N_("profile"),
            N_("status"),
            N_("codec"),
            N_("size"),
            N_("fps"),
            N_("kbit/s"),
            N_("url"),
        )
        for s in rep.streams:
            size = f"{s.width}x{s.height}" if s.width and s.height else cells.NOT_READ
            conf = f"/{s.configured_fps:g}" if s.configured_fps else ""
            streams.add_row(
                Text(s.profile or cells.NOT_READ),
                Text(s.status.label(), _STATUS_STYLE[s.status.value]),
                Text(s.codec or cells.NOT_READ),
                size,
                cells.number(s.fps) + conf,
                cells.number(s.bitrate_kbps, 0),
                Text(cells.strip_userinfo(s.uri) if s.uri else cells.NOT_READ),
            )
        parts.append(streams if rep.streams else Text(_("Streams: none read"), style="dim"))
        storage = _table(
            N_("Storage"),
            N_("name"),
            N_("state"),
            N_("used"),
            N_("recording"),
            N_("overwrite"),
            N_("via"),
        )
        for st in rep.storage:
            used = (
                f"{st.used_mb:.0f}/{st.total_mb:.0f} MB"
                if st.used_mb is not None and st.total_mb
                else cells.NOT_READ
            )
            storage.add_row(
                st.name,
                cells.state_word(st.state) if st.state else cells.NOT_READ,
                used,
                _yes(st.recording),
                _yes(st.overwrite),
                st.source or cells.NOT_READ,
            )
        parts.append(storage if rep.storage else Text(_("Storage: none reported"), style="dim"))
        if rep.days_kept is not None:
            from fleetctl.base import l10n  # Babel: only when a number is shown

            parts.append(
                Text(
                    _("Footage kept: %(days)s days (policy %(policy)s)")
                    % {
                        # The language's decimal mark: "2,0 ngày" in Vietnamese.
                        "days": l10n.number(rep.days_kept, 1),
                        "policy": l10n.number(self.camera.policy.min_retention_days),
                    }
                )
            )
        parts.append(self._timeline())
        return Group(*(Group(p, Text()) for p in parts))

    def _firmware_and_backup(self) -> RenderableType:
        """Advisories matching this camera or its policy minimum; its newest backup file."""
        table = _table(N_("Firmware and backup"), N_("what"), N_("status"))
        fw = camera_firmware(self.fleet.model, self.fleet.firmware, self.camera_name)
        if fw.firmware is None:
            status = Text(cells.NOT_READ, style="dim")
        elif not fw.advisories and fw.below is None:
            status = Text(_("no known advisory"), style="green")
        else:
            lines = []
            for rule in fw.advisories:
                line = Text(rule.label, style="bold red")
                fixed = rule.fixed_in or _("a newer firmware")
                line.append(
                    " "
                    + _("%(severity)s, fixed in %(fixed)s")
                    % {"severity": rule.severity, "fixed": fixed}
                )
                lines.append(line)
            if fw.below is not None:
                below = _("below the fleet minimum %(minimum)s") % {"minimum": fw.below}
                lines.append(Text(below, style="yellow"))
            status = Text("\n").join(lines)
        table.add_row(_("firmware"), status)
        folder = self.fleet.firmware.backup_dir
        last = last_backup(folder, self.camera_name)
        if folder is None:
            backup = Text(_("no backup folder: start with --backup-dir DIR"), style="dim")
        elif last is None:
            backup = Text(_("none in %(folder)s") % {"folder": folder}, style="yellow")
        else:
            backup = Text(_when(last.taken) + "  " if last.taken else "")
            backup.append(str(last.path), style="dim")
        table.add_row(_("last backup"), backup)
        return table

    def _timeline(self) -> RenderableType:
        entries = self.fleet.timeline(self.camera_name)[:20] if self.fleet.timeline else []
        if not entries:
            return Text(_("Timeline: no history yet"), style="dim")
        table = _table(
            N_("Timeline (newest first)"), N_("when"), N_("event"), N_("status"), N_("detail")
        )
        for e in entries:
            message = from_english(e.message)
            kind = _(_KIND_WORDS.get(e.kind.value, e.kind.value)) if e.kind else ""
            table.add_row(
                _when(e.at),
                _(_EVENT_WORDS.get(e.event, e.event)),
                e.status.label(),
                Text(f"{kind}: {message}" if e.kind else message),
            )
        return table

    # ------------------------------------------------------------------ quick actions

    def action_back(self) -> None:
        self.dismiss(None)

    def action_do(self, action: str) -> None:
        self.post_message(BulkRequested(action, [self.camera_name]))

    def action_copy_url(self) -> None:
        url = rtsp_url(self.camera, self.fleet.model.reports.get(self.camera_name))
        if url is None:
            self.notify(
                _("no RTSP URL known for this camera yet"), severity="warning", markup=False
            )
            return
        # OSC 52: reaches the operator's own clipboard even over SSH; shown too, in case the
        # terminal ignores OSC 52 (many do by default).
        self.app.copy_to_clipboard(url)
        self.notify(_("copied %(url)s") % {"url": url}, title=_("RTSP URL"), markup=False)

    def action_ssh(self) -> None:
        cmd = ssh_command(self.camera)
        if cmd is None:
            self.notify(
                _("no ssh: set `ssh:` for this camera in the inventory"),
                severity="warning",
                markup=False,
            )
            return
        if shutil.which("ssh") is None:
            self.notify(_("the ssh client is not installed"), severity="error", markup=False)
            return
        try:
            with self.app.suspend():
                subprocess.run(cmd, check=False)
        except SuspendNotSupported:
            self.notify(
                _("cannot suspend here (web?): run %(command)s") % {"command": " ".join(cmd)},
                severity="warning",
                markup=False,
            )


def _yes(value: bool | None) -> str:
    return cells.NOT_READ if value is None else (_("yes") if value else _("no"))


def _when(at: datetime) -> str:
    if language() == "en":
        return at.astimezone().strftime("%m-%d %H:%M")
    from fleetctl.base import l10n

    return l10n.when(at)


# Problem kinds and probe names are keywords of JSON; a person reads them in words.
_KIND_WORDS = {
    "offline": N_("offline"),
    "auth": N_("auth"),
    "onvif": N_("onvif"),
    "clock": N_("clock"),
    "stream": N_("stream"),
    "storage": N_("storage"),
    "security": N_("security"),
    "picture": N_("picture"),
    "config": N_("config"),
}
_PROBE_WORDS = {
    "reach": N_("reach"),
    "onvif": N_("onvif"),
    "stream": N_("stream"),
    "storage": N_("storage"),
    "security": N_("security"),
}
_EVENT_WORDS = {"status": N_("status"), "problem": N_("problem"), "resolved": N_("resolved")}
