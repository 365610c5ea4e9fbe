"""Vendor storage APIs: the parsers on realistic payloads, then HTTP Digest against the simulator."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from fleetctl.adapters.storage.vendor_http import (
    parse_dahua_storage,
    parse_isapi_storage,
    read_vendor_storage,
)
from fleetctl.core.models import Credential
from fleetctl.core.probes import Failure
from fleetctl.core.secret import Secret
from fleetctl.sim.camera.model import SimCamera, Storage, Vendor, address_for
from fleetctl.sim.http import serve
from fleetctl.sim.onvif.app import CameraApp
from fleetctl.sim.vendors.flavours import make_camera

# As a DS-7608NI NVR answers (V4.x firmware: the older std-cgi namespace), two disks.
ISAPI_NVR = b"""<?xml version="1.0" encoding="UTF-8"?>
<storage version="2.0" xmlns="http://www.std-cgi.com/ver20/XMLSchema">
<hddList version="2.0" size="8">
<hdd version="2.0"><id>1</id><hddName>hdd1</hddName><hddPath></hddPath><hddType>SATA</hddType>
<status>ok</status><capacity>3815447</capacity><freeSpace>0</freeSpace><property>RW</property>
</hdd>
<hdd version="2.0"><id>2</id><hddName>hdd2</hddName><hddPath></hddPath><hddType>SATA</hddType>
<status>smartFailed</status><capacity>3815447</capacity><freeSpace>120000</freeSpace>
<property>RW</property></hdd>
</hddList>
<nasList version="2.0" size="8"></nasList>
<workMode>quota</workMode>
</storage>"""

# A DS-2CD2143G2-I with an SD card that was never formatted (current namespace).
ISAPI_CAMERA = b"""<?xml version="1.0" encoding="UTF-8"?>
<storage version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">
<hddList size="1"><hdd version="2.0"><id>1</id><hddName>SD</hddName><hddType>SD</hddType>
<status>unformatted</status><capacity>0</capacity><freeSpace>0</freeSpace>
<property>RW</property><formatType></formatType></hdd></hddList>
<workMode>group</workMode></storage>"""

DAHUA = b"""list.info[0].Detail[0].IsError=false\r
list.info[0].Detail[0].Path=/mnt/sd\r
list.info[0].Detail[0].TotalBytes=62411571200.000000\r
list.info[0].Detail[0].Type=Read Write\r
list.info[0].Detail[0].UsedBytes=31205785600.000000\r
list.info[0].Detail[1].IsError=false\r
list.info[0].Detail[1].TotalBytes=1048576.000000\r
list.info[0].Detail[1].UsedBytes=1048576.000000\r
list.info[0].Name=/dev/mmc0\r
list.info[0].State=Success\r
list.info[1].Detail[0].IsError=true\r
list.info[1].Detail[0].TotalBytes=1000000000.000000\r
list.info[1].Detail[0].UsedBytes=0.000000\r
list.info[1].Name=/dev/sda\r
list.info[1].State=Success\r
"""


def test_isapi_old_namespace_nvr() -> None:
    hdd1, hdd2 = parse_isapi_storage(ISAPI_NVR)
    assert (hdd1.name, hdd1.state, hdd1.total_mb, hdd1.used_mb) == (
        "hdd1",
        "full",
        3815447,
        3815447,
    )
    # Overwrite is not in this reply: unknown, not invented.
    assert hdd1.source == "isapi" and hdd1.overwrite is None
    assert (hdd2.name, hdd2.state) == ("hdd2", "failed")


def test_isapi_current_namespace_unformatted_card() -> None:
    (sd,) = parse_isapi_storage(ISAPI_CAMERA)
    assert (sd.name, sd.state) == ("SD", "unformatted")


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>Document Error: Unauthorized</body></html>",
        b"<storage><hddList><hdd>",  # truncated by a firmware buffer
        b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaa">]><storage>&a;</storage>',
    ],
    ids=["html-error-page", "truncated", "dtd-with-entity"],
)
def test_isapi_refuses_garbage_and_dtds(body: bytes) -> None:
    with pytest.raises(ValueError):
        parse_isapi_storage(body)


def test_dahua_key_values_sum_partitions_and_flag_errors() -> None:
    sd, sda = parse_dahua_storage(DAHUA)
    assert (sd.name, sd.state, sd.source) == ("/dev/mmc0", "ok", "dahua")
    assert sd.total_mb == round((62411571200 + 1048576) / 2**20, 1)
    assert sd.used_mb == round((31205785600 + 1048576) / 2**20, 1)
    assert sda.state == "failed"  # IsError on a partition beats State=Success


def test_dahua_error_page_is_malformed() -> None:
    with pytest.raises(ValueError):
        parse_dahua_storage(b"Error\r\nBad Request!\r\n")
    assert parse_dahua_storage(b"") == []  # no card at all: nothing to report


# --------------------------------------------------------------------------- against the sim

USER, PASSWORD = "fleet", "S0c:Tr@ng/%"
CRED = Credential("fleet", USER, Secret(PASSWORD))
Start = Callable[..., Awaitable[tuple[SimCamera, int]]]


@pytest.fixture
async def camera() -> AsyncIterator[Start]:
    listeners = []

    async def start(
        vendor: Vendor, state: str = "ok", overwrite: bool = True, faults: tuple[str, ...] = ()
    ) -> tuple[SimCamera, int]:
        index = 6200 + len(listeners)
        cam = make_camera(
            index,
            f"st-{index}",
            "lab",
            address_for(index),
            vendor,
            random.Random(index),
            USER,
            PASSWORD,
        )
        cam.storage = [
            Storage("SD1", state=state, total_mb=61_000, used_mb=30_500, overwrite=overwrite)
        ]
        cam.faults = set(faults)
        listener = await serve(CameraApp(cam, lambda c: None), cam.host, 0)
        listeners.append(listener)
        return cam, listener.server.sockets[0].getsockname()[1]

    yield start
    for listener in listeners:
        await listener.close()


@pytest.mark.parametrize(
    ("vendor", "name"), [(Vendor.HIKVISION, "hikvision"), (Vendor.DAHUA, "dahua")]
)
@pytest.mark.parametrize("state", ["ok", "full", "failed", "unformatted"])
async def test_sim_storage_states(camera: Start, vendor: Vendor, name: str, state: str) -> None:
    cam, port = await camera(vendor, state, overwrite=False)
    readout = await read_vendor_storage(cam.host, port, name, CRED, timeout_s=3, max_bytes=65536)
    assert readout.ok, readout.error
    (medium,) = readout.media
    assert medium.state == state
    if vendor is Vendor.HIKVISION:
        assert medium.overwrite is False and medium.total_mb == 61_000
    if state == "ok":
        assert medium.used_mb == 30_500
    assert cam.counters.logins_ok >= 1


async def test_sim_wrong_password_is_auth(camera: Start) -> None:
    cam, port = await camera(Vendor.HIKVISION)
    bad = Credential("fleet", USER, Secret("not-it"))
    readout = await read_vendor_storage(
        cam.host, port, "hikvision", bad, timeout_s=3, max_bytes=65536
    )
    assert (readout.ok, readout.failure) == (False, Failure.AUTH)
    assert "not-it" not in (readout.error or "")


async def test_sim_camera_without_the_api_is_unsupported(camera: Start) -> None:
    cam, port = await camera(Vendor.AXIS)
    readout = await read_vendor_storage(
        cam.host, port, "hikvision", CRED, timeout_s=3, max_bytes=65536
    )
    assert (readout.ok, readout.failure) == (False, Failure.UNSUPPORTED)
    other = await read_vendor_storage(cam.host, port, "axis", CRED, timeout_s=3, max_bytes=65536)
    assert other.failure is Failure.UNSUPPORTED


async def test_sim_hang_is_cut_by_the_deadline(camera: Start) -> None:
    cam, port = await camera(Vendor.DAHUA, faults=("hang",))
    readout = await read_vendor_storage(
        cam.host, port, "dahua", CRED, timeout_s=0.5, max_bytes=65536
    )
    assert readout.failure is Failure.TIMEOUT


async def test_oversized_reply_is_refused_before_parsing() -> None:
    host = address_for(6290)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"<storage>" + b"A" * 60000
        for _ in range(20):  # 1.2 MB of "XML" with no Content-Length to warn us
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, host, 0)
    port = server.sockets[0].getsockname()[1]
    try:
        readout = await read_vendor_storage(
            host, port, "hikvision", CRED, timeout_s=3, max_bytes=65536
        )
    finally:
        server.close()
    assert readout.failure is Failure.OVERSIZED


async def test_sim_drip_fed_reply_is_cut_by_the_deadline(camera: Start) -> None:
    cam, port = await camera(Vendor.HIKVISION, faults=("drip",))
    readout = await read_vendor_storage(
        cam.host, port, "hikvision", CRED, timeout_s=0.5, max_bytes=65536
    )
    assert (readout.ok, readout.failure) == (False, Failure.TIMEOUT)
