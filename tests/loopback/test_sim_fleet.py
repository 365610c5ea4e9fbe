"""SimFleet as a whole: lifecycle, isolation, inventory + secrets, discovery, and `fleetctl sim`."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import stat
import sys
import uuid
from pathlib import Path

import pytest
from support.sim_soap import call

from fleetctl.core.inventory.load import load_inventory
from fleetctl.sim.fleet import SimFleet


async def test_inventory_and_secrets_load_with_fleetctls_own_loaders(tmp_path: Path) -> None:
    from fleetctl.adapters.secrets import load_secret_file

    fleet = SimFleet(cameras=130, recorders=2, faults="every", seed=4)
    inv_path, secrets_path = fleet.write_inventory(tmp_path / "district" / "sim.yaml")
    assert secrets_path == tmp_path / "district" / "sim-secrets.yaml"
    assert stat.S_IMODE(secrets_path.stat().st_mode) == 0o600
    inv = load_inventory(str(inv_path))
    assert sorted(c.name for c in inv.cameras) == sorted(c.name for c in fleet.cameras)
    # Sites are communes and wards; the old district is only their group.
    assert {c.site for c in inv.cameras} == {"dong-tien", "quang-thinh", "hoang-quang"}
    assert {(c.site, c.group) for c in inv.cameras} == {
        ("dong-tien", "Đông Sơn"),
        ("quang-thinh", "TP Thanh Hóa"),
        ("hoang-quang", "Hoằng Hóa"),
    }
    assert {s.location for s in inv.sites} == {
        "Xã Đông Tiến",
        "Phường Quảng Thịnh",
        "Xã Hoằng Quang",
    }
    first = inv.cameras[0]
    assert (first.host, first.port, first.credentials) == (fleet.cameras[0].host, 8080, "sim")
    assert first.location == "Chợ Đông Tiến, cổng chính"
    recorders = [c for c in inv.cameras if c.ssh is not None]
    assert {c.name for c in recorders} == {c.name for c in fleet.cameras if c.is_recorder}
    assert recorders[0].ssh is not None and recorders[0].ssh.port == 2222
    cred = load_secret_file(str(secrets_path)).get("sim")
    assert cred.username == fleet.username
    assert cred.password is not None and cred.password.reveal() == fleet.password
    assert fleet.password not in inv_path.read_text(encoding="utf-8")


async def test_a_fleet_serves_while_open_and_releases_everything_on_exit() -> None:
    async with SimFleet(cameras=3, seed=2, discovery=False) as fleet:
        cam = fleet.cameras[2]
        assert (await call(cam.host, cam.onvif_port, "<tds:GetSystemDateAndTime/>")).status == 200
        _, writer = await asyncio.open_connection(cam.host, cam.rtsp_port)
        writer.close()
    for port in (cam.onvif_port, cam.rtsp_port):
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection(cam.host, port)


async def test_two_fleets_in_one_process_do_not_collide() -> None:
    async with (
        SimFleet(cameras=2, seed=1, discovery=False) as a,
        SimFleet(cameras=2, seed=1, discovery=False) as b,
    ):
        assert a.cameras[0].host != b.cameras[0].host
        for fleet in (a, b):
            cam = fleet.cameras[0]
            reply = await call(cam.host, cam.onvif_port, "<tds:GetSystemDateAndTime/>")
            assert reply.status == 200
        assert a.cameras[0].counters.requests["GetSystemDateAndTime"] == 1


async def test_ws_discovery_unicast_probe_gets_a_probe_match() -> None:
    async with SimFleet(cameras=3, seed=6, rtsp=False, assign={1: {"offline"}}) as fleet:
        message_id = f"urn:uuid:{uuid.uuid4()}"
        probe = (
            '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/'
            '05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
            'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.'
            'onvif.org/ver10/network/wsdl"><s:Header><a:Action>http://schemas.xmlsoap.org/ws/'
            f"2005/04/discovery/Probe</a:Action><a:MessageID>{message_id}</a:MessageID><a:To>"
            "urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To></s:Header><s:Body><d:Probe>"
            "<d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>"
        ).encode()
        loop = asyncio.get_running_loop()
        got: asyncio.Queue[tuple[bytes, str]] = asyncio.Queue()

        class Client(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:  # type: ignore[override]
                got.put_nowait((data, addr[0]))

        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        transport, _ = await loop.create_datagram_endpoint(Client, sock=sock)
        try:
            for cam in fleet.cameras:
                transport.sendto(probe, (cam.host, 3702))
            data, source = await asyncio.wait_for(got.get(), 5)
        finally:
            transport.close()
        healthy = {fleet.cameras[0].host, fleet.cameras[2].host}
        assert source in healthy and message_id.encode() in data
        assert (
            fleet.cameras[0].endpoint.encode() in data or fleet.cameras[2].endpoint.encode() in data
        )


async def test_fleetctl_sim_command_runs_until_sigterm_and_exits_cleanly(tmp_path: Path) -> None:
    block = 50 + os.getpid() % 50  # away from the default block 0 others may be running
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fleetctl",
        "sim",
        "--cameras",
        "4",
        "--faults",
        "none",
        "--seed",
        "3",
        "--block",
        str(block),
        "--no-discovery",
        "--write-inventory",
        str(tmp_path / "sim.yaml"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "COLUMNS": "120"},
    )
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(30):
            while not lines or "Ctrl-C" not in lines[-1]:  # the summary's last line: all up
                lines.append((await proc.stdout.readline()).decode())
                assert lines[-1], "fleetctl sim exited early: " + "".join(lines)
        summary = "".join(lines)
        assert "4 cameras and 1 recorders listening" in summary and "faults     none" in summary
        live = load_inventory(str(tmp_path / "sim.yaml")).cameras
        reply = await call(live[0].host, live[0].port, "<tds:GetSystemDateAndTime/>")
        assert reply.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection(live[0].host, live[0].port)


async def test_recorders_answer_df_over_ssh_with_the_fleet_account() -> None:
    import asyncssh

    async with SimFleet(
        cameras=2, recorders=1, seed=8, rtsp=False, discovery=False, assign={2: {"storage_failed"}}
    ) as fleet:
        nvr = fleet.cameras[2]
        assert nvr.is_recorder
        user, pw = fleet.credentials
        async with asyncssh.connect(
            nvr.host, nvr.ssh_port, username=user, password=pw, known_hosts=None
        ) as conn:
            result = await conn.run("df -P", check=False)
        assert "Input/output error" in str(result.stderr)  # HDD1 failed
        assert "/mnt/hdd2" in str(result.stdout)


def test_fleetctl_sim_faults_help_and_bad_specs(capsys: pytest.CaptureFixture[str]) -> None:
    from fleetctl.cli.main import main

    assert main(["sim", "--faults", "help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in ("offline", "entity_bomb", "recording_stopped"))
    assert main(["sim", "--faults", "offline=2,melted=1"]) == 64
    assert "unknown fault 'melted'" in capsys.readouterr().err
    assert main(["sim", "--cameras", "0"]) == 64
