"""`discover` end to end on loopback: the simulator's WS-Discovery and ONVIF servers, our engine,
and the `fleetctl discover` command in a subprocess."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from ruamel.yaml import YAML

from fleetctl.adapters.discovery import sweep
from fleetctl.core.models import Camera, Inventory, Site
from fleetctl.engine.discover import DiscoverOptions, discover
from fleetctl.sim.camera.model import address_for
from fleetctl.sim.fleet import SimFleet

FIRST = 7300


async def test_discover_tells_new_known_moved_missing_across_every_path() -> None:
    fleet = SimFleet(
        cameras=6, seed=5, first_index=FIRST, rtsp=False, ssh=False, assign={3: {"offline"}}
    )
    c = fleet.cameras
    c[2].link_local = False  # behind a router: only the unicast sweep reaches it
    c[5].wsd_types = ""  # WS-Discovery off: only the TCP sweep finds it
    c[4].wsd_xaddr_host = "0.0.0.0"
    old_address = address_for(FIRST + 8)  # where the inventory still thinks c[1] is
    inventory = Inventory(
        cameras=(
            Camera(name="at-home", host=c[0].host, site="lab"),
            Camera(name="moved-one", host=old_address, site="lab", endpoint=c[1].endpoint),
            Camera(name="dead-one", host=c[3].host, site="lab"),
            Camera(name="replaced", host=c[4].host, site="lab", endpoint="urn:uuid:gone"),
            Camera(name="elsewhere", host=address_for(FIRST + 60), site="lab"),  # not swept
        ),
        sites=(Site("lab", ranges=(f"{address_for(FIRST)}-{address_for(FIRST + 9)}",)),),
        files=(),
    )
    options = DiscoverOptions(
        ranges=inventory.sites[0].ranges,
        interfaces=("lo",),
        rate=2000,
        wait_s=1.0,
        tcp_ports=(c[0].onvif_port,),
        timeout_s=10.0,  # generous: CI machines are loaded
    )
    async with fleet:
        report = await discover(inventory, options)

    # Other simulators on this host answer multicast on lo too: judge only this test's range.
    ours = set(sweep.expand_ranges(options.ranges))
    devices = [d for d in report.devices if d.address in ours]
    got = {(d.address, d.status.value, d.camera) for d in devices}
    assert got == {
        (c[0].host, "known", "at-home"),
        (c[1].host, "moved", "moved-one"),
        (c[2].host, "new", None),
        (c[4].host, "new", None),
        (c[5].host, "new", None),
        (c[3].host, "missing", "dead-one"),
        (c[4].host, "missing", "replaced"),
    }
    by = {(d.address, d.status.value): d for d in devices}
    assert [d.status.value for d in devices] == ["new"] * 3 + ["moved"] + ["missing"] * 2 + [
        "known"
    ]
    assert by[c[0].host, "known"].via == ("multicast", "unicast")  # de-duplicated by endpoint
    assert by[c[2].host, "new"].via == ("unicast",)
    assert by[c[5].host, "new"].via == ("tcp",) and by[c[5].host, "new"].endpoint is None
    assert by[c[1].host, "moved"].previous_address == old_address
    new4 = by[c[4].host, "new"]
    assert new4.xaddrs == (f"http://{c[4].host}:{c[4].onvif_port}/onvif/device_service",)
    assert new4.scopes.mac == c[4].mac and new4.endpoint == c[4].endpoint
    for d in devices:
        if d.status.value != "missing":
            assert d.alive is True and d.clock_offset_s is not None
            cam = next(x for x in c if x.host == d.address)
            if cam.vendor.value == "axis" and "tcp" not in d.via:  # basicdeviceinfo, no auth
                assert d.device is not None and d.device.serial == cam.serial
            else:
                assert d.device is None  # the simulator wants auth for GetDeviceInformation
    assert report.swept == 10
    # credentials were never sent: no camera saw a login, good or bad
    assert all(cam.counters.logins_ok == cam.counters.logins_failed == 0 for cam in c)


# --------------------------------------------------------- pre-auth answers from odd firmware

INFO = (
    b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    b'xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><s:Body><tds:GetDeviceInformationResponse>'
    b"<tds:Manufacturer>Dahua</tds:Manufacturer><tds:Model>IPC-HFW2431S-S-S2</tds:Model>"
    b"<tds:FirmwareVersion>2.800.0000000.16.R</tds:FirmwareVersion>"
    b"<tds:SerialNumber>7J03F2APAZ12345</tds:SerialNumber><tds:HardwareId>1.00</tds:HardwareId>"
    b"</tds:GetDeviceInformationResponse></s:Body></s:Envelope>"
)


def clock(month: int) -> bytes:
    return (
        b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        b'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" '
        b'xmlns:tt="http://www.onvif.org/ver10/schema"><s:Body><tds:GetSystemDateAndTimeResponse>'
        b"<tds:SystemDateAndTime><tt:UTCDateTime><tt:Time><tt:Hour>8</tt:Hour><tt:Minute>0"
        b"</tt:Minute><tt:Second>0</tt:Second></tt:Time><tt:Date><tt:Year>2026</tt:Year>"
        b"<tt:Month>%d</tt:Month><tt:Day>28</tt:Day></tt:Date></tt:UTCDateTime>"
        b"</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse></s:Body></s:Envelope>" % month
    )


@pytest.fixture
async def odd_camera() -> AsyncIterator[tuple[str, dict[str, tuple[int, bytes]]]]:
    """A bare HTTP/1.1 responder on loopback that plays recorded-shape SOAP answers per operation
    (status 0: never answer, like a camera whose web server hangs)."""
    replies: dict[str, tuple[int, bytes]] = {}
    host = address_for(FIRST + 50)
    hung = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        m = re.search(rb"(?i)content-length:\s*(\d+)", head)
        body = await reader.readexactly(int(m.group(1)) if m else 0)
        op = re.search(rb"<tds:(\w+)/>", body)
        status, payload = replies.get(op.group(1).decode() if op else "", (400, b"bad"))
        if status == 0:
            await hung.wait()  # released at teardown
        writer.write(
            b"HTTP/1.1 %d X\r\nContent-Type: application/soap+xml\r\nContent-Length: %d"
            b"\r\nConnection: close\r\n\r\n%s" % (status, len(payload), payload)
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, host, 8080)
    yield f"http://{host}:8080/onvif/device_service", replies
    hung.set()
    server.close()
    await server.wait_closed()


async def test_preauth_reads_device_information_when_the_camera_allows_it(
    odd_camera: tuple[str, dict[str, tuple[int, bytes]]],
) -> None:
    url, replies = odd_camera
    replies.update(GetSystemDateAndTime=(200, clock(11)), GetDeviceInformation=(200, INFO))
    async with aiohttp.ClientSession() as session:
        pre = await sweep.preauth(session, url, 3.0)
    assert pre.alive and pre.clock_offset_s is not None
    assert pre.device is not None
    assert (pre.device.manufacturer, pre.device.serial) == ("Dahua", "7J03F2APAZ12345")


@pytest.mark.parametrize(
    ("clock_reply", "info_reply", "alive", "has_offset", "has_device"),
    [
        ((200, clock(13)), (200, INFO), True, False, True),  # month 13: alive, no offset
        ((200, clock(11)), (401, b"<html>401 Unauthorized</html>"), True, True, False),
        ((200, clock(11)), (200, b"<html>not soap</html>"), True, True, False),
        ((401, b"<html>Axis wants auth even here</html>"), (200, INFO), False, False, False),
        ((200, b"x" * (sweep.MAX_SOAP_BYTES + 10)), (200, INFO), False, False, False),
        ((200, clock(11)), (0, b""), True, True, False),  # alive even if info never comes
        ((0, b""), (200, INFO), False, False, False),
    ],
    ids=[
        "bad-date",
        "info-401",
        "info-html",
        "clock-401",
        "clock-huge",
        "info-hangs",
        "clock-hangs",
    ],
)
async def test_preauth_is_defensive(
    odd_camera: tuple[str, dict[str, tuple[int, bytes]]],
    clock_reply: tuple[int, bytes],
    info_reply: tuple[int, bytes],
    alive: bool,
    has_offset: bool,
    has_device: bool,
) -> None:
    url, replies = odd_camera
    replies.update(GetSystemDateAndTime=clock_reply, GetDeviceInformation=info_reply)
    async with aiohttp.ClientSession() as session:
        pre = await sweep.preauth(session, url, 2.0)
    assert (pre.alive, pre.clock_offset_s is not None, pre.device is not None) == (
        alive,
        has_offset,
        has_device,
    )


# --------------------------------------------------------------------------- the command


def fleetctl(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from fleetctl.cli.main import main

    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


async def test_cli_json_against_a_sim_inventory_and_yaml_without_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./inventories here
    async with SimFleet(cameras=3, seed=9, first_index=FIRST + 100, rtsp=False, ssh=False) as fleet:
        inv, _ = fleet.write_inventory(tmp_path / "sim.yaml")
        # no --interface: the ranges are loopback, so multicast goes out of lo only
        common = ("--tcp-ports", "none", "--wait", "1", "--no-info")
        # The command runs its own event loop: give it a thread while the fleet serves in ours.
        rc, out, err = await asyncio.to_thread(
            fleetctl, capsys, "discover", "-i", str(inv), *common, "-f", "json"
        )
        assert rc == 0, err
        devices = json.loads(out)["devices"]
        mine = [d for d in devices if d["address"] in {c.host for c in fleet.cameras}]
        assert sorted((d["status"], d["camera"]) for d in mine) == sorted(
            ("known", c.name) for c in fleet.cameras
        )
        assert "3 known" in err  # the summary goes to stderr, stdout stays parseable
        assert "multicast from 127.0.0.1;" in err
        assert all(d["via"] == ["multicast", "unicast"] for d in mine)

        # no inventory at all: everything is new, as paste-ready YAML
        span = f"{fleet.cameras[0].host}-{fleet.cameras[-1].host}"
        rc, out, err = await asyncio.to_thread(
            fleetctl,
            capsys,
            "discover",
            "--range",
            span,
            "--no-multicast",
            "--tcp-ports",
            "none",
            "--wait",
            "1",
            "--no-info",
            "-f",
            "inventory",
        )
        assert rc == 0, err
        items = YAML(typ="safe").load(out)
        assert [i["host"] for i in items] == [c.host for c in fleet.cameras]
        # identity keys are values once the inventory schema accepts them, comments until then
        assert all(f'endpoint: "{c.endpoint}"' in out for c in fleet.cameras)
        assert all(f'mac: "{c.mac}"' in out for c in fleet.cameras)
        assert all(i["port"] == fleet.cameras[0].onvif_port for i in items)
        # "ready to paste": under a site's cameras, the real loader takes it as is
        from fleetctl.core.inventory.load import load_inventory

        pasted = tmp_path / "pasted.yaml"
        pasted.write_text(
            "sites:\n  lab:\n    cameras:\n"
            + "".join(f"      {line}\n" for line in out.splitlines())
        )
        loaded = load_inventory(str(pasted))
        assert sorted(c.host for c in loaded.cameras) == sorted(c.host for c in fleet.cameras)
        assert len({i["name"] for i in items}) == 3


def test_cli_refuses_a_typo_sized_range(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = fleetctl(capsys, "discover", "--range", "10.0.0.0/8", "--no-multicast")
    assert rc == 64 and "split it" in err and out == ""
