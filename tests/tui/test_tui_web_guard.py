"""`tui --web` is a remote control of the fleet: only the holder of the printed URL may drive it.

Real sockets: the server of ``fleetctl.tui.web`` on 127.0.0.1, real aiohttp websockets against
it, and a real `fleetctl tui` process behind the one session that is let in.
"""

from __future__ import annotations

import asyncio
import shlex
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from fleetctl.cli.main import main
from fleetctl.tui.web import guard
from fleetctl.tui.web.server import WebServer

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
async def server(tmp_path: Path, unreachable_host: str) -> AsyncIterator[WebServer]:
    inv = tmp_path / "inv.yaml"
    inv.write_text(
        "sites:\n  s:\n    cameras:\n"
        f"      - {{name: cam-1, host: {unreachable_host}, username: u, password: p}}\n"
    )
    command = shlex.join(
        [
            *(sys.executable, "-m", "fleetctl", "tui", "-i", str(inv)),
            *("--interval", "0", "--no-history", "--timeout", "1"),
        ]
    )
    web = WebServer(command, host="127.0.0.1", port=0, max_sessions=1)
    await web.start()
    try:
        yield web
    finally:
        await web.close()


def origin(web: WebServer) -> str:
    return f"http://127.0.0.1:{web.port}"


async def status_of_upgrade(web: WebServer, path: str, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as http:
        try:
            async with http.ws_connect(f"ws://127.0.0.1:{web.port}{path}", headers=headers):
                return 101
        except aiohttp.WSServerHandshakeError as err:
            return err.status


async def test_the_page_needs_the_token(server: WebServer) -> None:
    async with aiohttp.ClientSession() as http:
        base = origin(server)
        # One character off (never the same character: a token can end in any of them).
        near = server.token[:-1] + ("x" if server.token[-1] != "x" else "y")
        for url in (f"{base}/", f"{base}/?token=", f"{base}/?token={near}"):
            async with http.get(url) as resp:
                assert resp.status == 403, url
                assert server.token not in await resp.text()
        async with http.get(server.url) as resp:
            assert resp.status == 200
            page = await resp.text()
            assert f"ws://127.0.0.1:{server.port}/ws/{server.token}" in page
            assert "googleapis" not in page and "https://" not in page
        # DNS rebinding: a name that resolves to 127.0.0.1 for the attacker's page.
        async with http.get(server.url, headers={"Host": f"evil.example:{server.port}"}) as resp:
            assert resp.status == 421


async def test_websocket_refuses_a_wrong_or_missing_token(server: WebServer) -> None:
    good = {"Origin": origin(server)}
    assert await status_of_upgrade(server, "/ws/", good) == 404
    assert await status_of_upgrade(server, "/ws/not-the-token", good) == 403
    assert await status_of_upgrade(server, f"/ws/{server.token}x", good) == 403
    assert await status_of_upgrade(server, "/ws", good) == 404
    assert server.sessions == 0


async def test_websocket_refuses_a_foreign_or_missing_origin(server: WebServer) -> None:
    path = f"/ws/{server.token}"
    for headers in (
        {"Origin": "http://evil.example"},
        {"Origin": f"http://localhost.evil.example:{server.port}"},
        {"Origin": f"http://127.0.0.1:{server.port + 1}"},
        {"Origin": "null"},
        {},
    ):
        assert await status_of_upgrade(server, path, headers) == 403, headers
    assert server.sessions == 0


async def test_sessions_are_capped_and_the_one_let_in_runs_the_tui(server: WebServer) -> None:
    path = f"ws://127.0.0.1:{server.port}/ws/{server.token}?width=100&height=30"
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(path, headers={"Origin": origin(server)}) as first,
    ):
        drawn = b""
        while b"cam-1" not in drawn:  # the real TUI started and drew its camera
            frame = await first.receive(timeout=120)
            assert frame.type == aiohttp.WSMsgType.BINARY, frame
            drawn += frame.data
        assert server.sessions == 1
        assert await status_of_upgrade(server, f"/ws/{server.token}", {}) == 403  # no Origin
        second = await status_of_upgrade(server, f"/ws/{server.token}", {"Origin": origin(server)})
        assert second == 503
    for _ in range(600):  # the slot is free again once the session closed
        if server.sessions == 0:
            break
        await asyncio.sleep(0.05)
    assert server.sessions == 0


def test_guard_rules() -> None:
    assert guard.token_ok("abc", "abc") and not guard.token_ok("abd", "abc")
    assert not guard.token_ok(None, "abc") and not guard.token_ok("", "abc")
    assert guard.origin_ok("http://127.0.0.1:8000", "127.0.0.1:8000")
    assert not guard.origin_ok("http://127.0.0.1:8000", "127.0.0.1:8001")
    assert guard.host_ok("localhost:8000", "127.0.0.1")
    assert guard.host_ok("[::1]:8000", "127.0.0.1")
    assert not guard.host_ok("evil.example:8000", "127.0.0.1")
    assert guard.host_ok("cams.district.local:8000", "0.0.0.0")
    assert guard.remote_start_problem("0.0.0.0", read_only=False, allow_remote_actions=False)
    assert not guard.remote_start_problem("0.0.0.0", read_only=True, allow_remote_actions=False)
    assert not guard.remote_start_problem("10.0.0.5", read_only=False, allow_remote_actions=True)
    assert not guard.remote_start_problem("127.0.0.1", read_only=False, allow_remote_actions=False)
    assert len(guard.new_token()) >= 32 and guard.new_token() != guard.new_token()


def test_a_remote_address_needs_read_only_or_an_explicit_allow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inv = tmp_path / "inv.yaml"
    inv.write_text("sites: {}\n")
    assert main(["tui", "--web", "--host", "0.0.0.0", "-i", str(inv)]) == 64
    err = capsys.readouterr().err
    assert "--read-only" in err and "--allow-remote-actions" in err
