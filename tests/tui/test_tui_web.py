"""`fleetctl tui --web` in a real browser: headless Chromium loads the page and the fleet appears.

textual-serve draws the terminal on a canvas, so the DOM holds no text. The test drives Chromium
over the DevTools protocol instead and reads what the app sent to the page: the websocket frames
the browser received (the terminal's bytes). Seeing the table header and the faulty camera's row
there means the page loaded, opened the websocket, the server started the TUI, and the TUI
checked the simulated fleet and drew it for the browser.

The browser runs with name resolution blocked for everything but 127.0.0.1, and every request
the page makes is recorded: the page must load, the app start, and nothing leave 127.0.0.1 (its
font included: a control room is often offline).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from fleetctl.sim.fleet import SimFleet

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.timeout(240),
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason="needs Debian's chromium (/usr/bin/chromium)"
    ),
]
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")
DEADLINE_S = 180.0  # generous: a loaded 2-core CI box starts Python, Textual and Chromium slowly


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def line_matching(stream: asyncio.StreamReader, pattern: str) -> re.Match[str]:
    """Read lines until one matches: the process's own readiness signal."""
    seen = []
    while line := (await stream.readline()).decode(errors="replace"):
        seen.append(line)
        if m := re.search(pattern, line):
            return m
    raise AssertionError(f"process ended without {pattern!r}:\n{''.join(seen)[-2000:]}")


@asynccontextmanager
async def process(*cmd: str, **kw: Any) -> AsyncIterator[asyncio.subprocess.Process]:
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        **kw,
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()


class Devtools:
    """The few DevTools-protocol calls the test needs, over one websocket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws, self.next_id = ws, 0
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        await self.ws.send_str(json.dumps(msg))
        async for frame in self.ws:
            data = json.loads(frame.data)
            if data.get("id") == self.next_id:
                if "error" in data:
                    raise AssertionError(f"{method}: {data['error']}")
                return data.get("result", {})  # type: ignore[no-any-return]
            self.events.put_nowait(data)
        raise AssertionError("the browser closed the DevTools connection")

    async def event(self) -> dict[str, Any]:
        if not self.events.empty():
            return self.events.get_nowait()
        frame = await self.ws.receive()
        if frame.type != aiohttp.WSMsgType.TEXT:
            raise AssertionError(f"the browser closed the DevTools connection: {frame.type}")
        return json.loads(frame.data)  # type: ignore[no-any-return]


async def test_web_serves_the_fleet_table_to_a_real_browser(
    make_fleet: Callable[..., Awaitable[SimFleet]], tmp_path: Path
) -> None:
    fleet = await make_fleet(cameras=4, faults="clock_drift=1", seed=7, ssh=False)
    inventory, _ = fleet.write_inventory(tmp_path / "sim.yaml")
    (faulty,) = fleet.injected
    port = free_port()
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    serve = [
        sys.executable,
        "-m",
        "fleetctl",
        "tui",
        "--web",
        "--port",
        str(port),
        "-i",
        str(inventory),
        "--interval",
        "0",
        "--window",
        "0.5",
        "--db",
        str(tmp_path / "h.sqlite"),
    ]
    chromium = [
        shutil.which("chromium") or CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--user-data-dir={tmp_path / 'chromium'}",
        "--remote-debugging-port=0",
        "--remote-debugging-address=127.0.0.1",
        "about:blank",
    ]
    async with asyncio.timeout(DEADLINE_S), process(*serve, env=env) as server:
        assert server.stderr is not None
        url = (
            await line_matching(
                server.stderr, r"serving the TUI on (http://127\.0\.0\.1:\d+/\?token=\S+)"
            )
        ).group(1)
        async with process(*chromium) as browser:
            assert browser.stderr is not None
            devtools_url = (
                await line_matching(browser.stderr, r"DevTools listening on (ws://\S+)")
            ).group(1)
            async with (
                aiohttp.ClientSession() as http,
                http.ws_connect(devtools_url, max_msg_size=0) as ws,
            ):
                cdp = Devtools(ws)
                target = (await cdp.call("Target.createTarget", url="about:blank"))["targetId"]
                session = (await cdp.call("Target.attachToTarget", targetId=target, flatten=True))[
                    "sessionId"
                ]
                await cdp.call("Network.enable", session)
                await cdp.call("Page.navigate", session, url=f"{url}&width=120&height=30")
                screen, requested, failed = "", [], []
                # "last sweep" appears only once the first sweep is done: then "1 crit" is a result.
                while not (
                    all(w in screen for w in ("NAME", "STATUS", faulty, "last sweep"))
                    and re.search(r"\b[1-9]\d* crit", screen)
                ):
                    event = await cdp.event()
                    if event.get("method") == "Network.requestWillBeSent":
                        requested.append(event["params"]["request"]["url"])
                    elif event.get("method") == "Network.webSocketCreated":
                        requested.append(event["params"]["url"])
                    elif event.get("method") == "Network.loadingFailed":
                        failed.append(event["params"])
                    if event.get("method") != "Network.webSocketFrameReceived":
                        continue
                    response = event["params"]["response"]
                    data = response["payloadData"]
                    raw = base64.b64decode(data) if response.get("opcode") == 2 else data.encode()
                    screen += ANSI.sub("", raw.decode("utf-8", errors="replace"))
    assert fleet.by_name(faulty).counters.requests["GetSystemDateAndTime"] >= 1  # really checked
    local = (f"http://127.0.0.1:{port}/", f"ws://127.0.0.1:{port}/")
    assert requested and all(u.startswith(local) for u in requested), requested
    assert any("/static/js/textual.js" in u for u in requested), requested
    assert any("/static/fonts/RobotoMono" in u for u in requested), requested  # ours, local
    assert not failed, failed
