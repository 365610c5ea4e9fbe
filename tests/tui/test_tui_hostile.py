"""What a camera or an inventory says is text: never Rich markup, never a terminal escape.

A tiny hostile ONVIF device on 127.0.0.1 answers every call with a SOAP fault whose reason is
markup (`[/x]`) and an 8-bit CSI sequence; the inventory gives the camera a `location` with ESC
sequences. The TUI checks it with the real engine, and the camera is opened.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from fleetctl.engine.check.runner import CheckOptions
from fleetctl.engine.workspace import load_workspace
from fleetctl.tui.app import FleetApp
from fleetctl.tui.screens.camera import CameraScreen
from fleetctl.tui.source import EngineSource

# C1 controls are legal XML 1.0 characters: a camera can really send these in a fault reason.
REASON = "[/x] bad \u009b2J\u009d0;pwned\u009c[bold]"
FAULT = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
    "<s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value>"
    '<s:Subcode><s:Value xmlns:ter="http://www.onvif.org/ver10/error">ter:Action</s:Value>'
    '</s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">'
    f"{REASON}</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>"
)
LOCATION = "\x1b[2J\x1b]0;pwned\x07Chợ [/i] cổng"
ESCAPES = ("\x1b", "\x9b", "\x9d", "\x07")


@pytest.fixture
async def hostile_port() -> AsyncIterator[int]:
    async def fault(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=500, text=FAULT, content_type="application/soap+xml")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fault)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


def write_inventory(tmp_path: Path, port: int) -> Path:
    inv = tmp_path / "inv.yaml"
    location = LOCATION.replace("\x1b", "\\e").replace("\x07", "\\a")  # YAML escapes
    inv.write_text(
        "sites:\n  cho:\n    cameras:\n"
        f"      - name: cam-h\n        host: 127.0.0.1\n        port: {port}\n"
        f'        username: u\n        password: p\n        location: "{location}"\n',
        encoding="utf-8",
    )
    return inv


async def test_a_hostile_fault_reason_and_location_open_safely_in_the_tui(
    hostile_port: int, tmp_path: Path
) -> None:
    workspace = load_workspace(str(write_inventory(tmp_path, hostile_port)))
    (camera,) = workspace.inventory.cameras
    assert camera.location == "Chợ [/i] cổng"  # cleaned where the inventory is read
    source = EngineSource(workspace, CheckOptions(timeout_s=5.0, stream_window_s=0.3))
    app = FleetApp(workspace.inventory.cameras, source, interval=0)
    async with app.run_test(size=(160, 50)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        report = app.model.reports["cam-h"]
        details = " ".join(step.detail for step in report.checks)
        assert "[/x] bad [bold]" in details, details  # the camera's words, minus the escapes
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CameraScreen)
        shown = app.export_screenshot()
    assert "[/x]" in shown and "[/i]" in shown  # shown as written, not read as markup
    assert not any(c in shown for c in ESCAPES)
