"""SimFleet: a whole simulated fleet on loopback, as an async context manager.

    async with SimFleet(cameras=50, faults="realistic", seed=1, recorders=1) as fleet:
        cam = fleet.cameras[0]              # SimCamera: state, counters, faults
        inv, secrets = fleet.write_inventory(tmp_path / "sim.yaml")

Each device gets its own 127.x address (``address_for``): ONVIF/HTTP on ``onvif_port``, RTSP on
``rtsp_port``, SSH on recorders, WS-Discovery on UDP 3702. Offline cameras bind nothing (clients
get "connection refused"); rebooting and flapping ones close their listeners while down.

Parallel test runs must not collide: unless ``first_index`` is given, the fleet picks an address
block from its process id and moves to another block if an address is taken.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import math
import os
import random
import resource
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from fleetctl.sim.camera import faults as faultlib
from fleetctl.sim.camera import firmware as simfirmware
from fleetctl.sim.camera import history
from fleetctl.sim.camera.model import (
    NAT_BASE,
    FactoryState,
    SimCamera,
    Storage,
    User,
    Vendor,
    address_for,
)
from fleetctl.sim.discovery.dhip import start_dhip
from fleetctl.sim.discovery.sadp import start_sadp
from fleetctl.sim.discovery.wsdiscovery import DiscoveryService, start_discovery
from fleetctl.sim.http import Listener, serve
from fleetctl.sim.inventory import write_inventory
from fleetctl.sim.onvif.app import CameraApp
from fleetctl.sim.rtsp.h264 import default_library
from fleetctl.sim.rtsp.server import start_rtsp
from fleetctl.sim.sites import PLACES, SITES, kind, slug
from fleetctl.sim.vendors import search as vendor_search
from fleetctl.sim.vendors.flavours import FLAVOURS, make_camera

log = logging.getLogger(__name__)

# Deterministic by index, so a test's camera 0 is always a Hikvision: 45/35/10/10 per 20.
VENDOR_CYCLE = "HDHDAHDHGHDHDAHDHGHD"
DIGEST_SLOTS = frozenset({5, 11, 16})  # a third of the Hikvisions demand HTTP Digest
_VENDOR_CODE = {"H": Vendor.HIKVISION, "D": Vendor.DAHUA, "A": Vendor.AXIS, "G": Vendor.GENERIC}
BIND_BATCH = 256  # listeners bound concurrently at startup
BLOCK = 8192  # addresses per fleet block when the block is picked automatically
REBOOT_S = 3.0
FIRMWARE_EPOCH = 946_684_800.0  # 2000-01-01: where an RTC-less camera's clock restarts


class SimFleet:
    """Simulated cameras (and recorders) with chosen faults; see the module docstring.

    ``cameras``/``recorders``: how many of each (recorders come after the cameras in
    ``self.cameras``). ``faults``: a ``--faults`` spec (sim/camera/faults.py), drawn with ``seed``;
    ``assign`` adds exact faults by camera index (``{0: {"frozen"}}``). ``sites``: a count or
    display names (default: one site per 60 cameras). ``rtsp``/``discovery``/``ssh``: which
    servers to run. ``first_index``: address plan offset (default: a block per process).
    ``nat``: share of cameras with the NAT quirk (default 2 % with realistic/every faults).
    ``reboot_s``: how long SystemReboot keeps a camera away. ``fresh``: the last N cameras are
    factory-fresh (only the factory account, vendor defaults, behind a router so only a unicast
    sweep finds them) and left out of ``write_inventory``: the devices `onboard` takes in. Of
    those, Hikvision cameras are mostly *inactive* (``cam.factory``: no password, ONVIF off, an
    empty ONVIF user list; sim/vendors/hikvision.py serves activation, the newer V3 flow alone on
    those at odd indices; sim/discovery/sadp.py answers SADP on the local link), the rest old
    firmware that still has its factory password; Dahua cameras the same way: mostly *uninitialised*
    (sim/vendors/dahua.py serves initialisation, sim/discovery/dhip.py answers DHIP on the local
    link), the rest with admin/admin; Axis cameras have no account until the first administrator
    is made (sim/vendors/axis.py).
    Same arguments, same fleet: names, vendors, credentials, faults, serials.
    """

    def __init__(
        self,
        cameras: int = 10,
        faults: str = "none",
        seed: int = 1,
        recorders: int = 0,
        sites: int | Sequence[str] | None = None,
        rtsp: bool = True,
        discovery: bool = True,
        ssh: bool = True,
        assign: Mapping[int, set[str]] | None = None,
        first_index: int | None = None,
        nat: float | None = None,
        reboot_s: float = REBOOT_S,
        fresh: int = 0,
    ) -> None:
        plan = faultlib.parse_spec(faults)  # ValueError early, before anything binds
        self.plan = plan
        self.seed = seed
        self.reboot_s = reboot_s
        self._rtsp, self._discovery, self._ssh = rtsp, discovery, ssh
        self._auto_block = first_index is None
        self._first = first_index if first_index is not None else _block(os.getpid())
        rng = random.Random(f"fleet:{seed}")
        self.username = "fleetops"
        self.password = "".join(
            rng.choice("abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY34679") for _ in range(16)
        )
        self.sites = _sites(cameras, sites)
        self._locations: dict[str, str] = {}
        self._tags: dict[str, list[str]] = {}
        self._per_site = max(1, -(-cameras // len(self.sites)))
        self.cameras: list[SimCamera] = [self._camera(i, rng) for i in range(cameras)]
        self.cameras += [self._recorder(cameras + r, r, rng) for r in range(recorders)]
        wanted = faultlib.assign(self.cameras[:cameras], plan, seed)
        if plan.preset == "every":
            # Recorders show disk trouble over SSH (df): the first a failed disk, a second a full one.
            for k, fault in zip(
                range(cameras, len(self.cameras)), ("storage_failed", "storage_full"), strict=False
            ):
                wanted.setdefault(k, set()).add(fault)
        for index, extra in (assign or {}).items():
            wanted.setdefault(index, set()).update(extra)
        for index, names in sorted(wanted.items()):
            faultlib.apply(self.cameras[index], names, rng, self.username)
        for cam in self.cameras[max(0, cameras - fresh) : cameras]:
            _factory_fresh(cam)
        anchor = time.time()  # every history is as of the same instant
        for cam in self.cameras:
            cam.history = history.build(cam, seed, anchor)
        share = nat if nat is not None else (0.02 if plan.preset in ("realistic", "every") else 0)
        self._nat = {c.index for c in self.cameras[:cameras] if rng.random() < share}
        self._readdress()
        self._by_name = {c.name: c for c in self.cameras}
        self._http: dict[int, Listener] = {}
        self._rtsp_servers: dict[int, asyncio.AbstractServer] = {}
        self._ssh_servers: dict[int, Any] = {}  # asyncssh.SSHAcceptor (asyncssh imported lazily)
        self._discovery_service: DiscoveryService | None = None
        self._sadp_service: DiscoveryService | None = None
        self._dhip_service: DiscoveryService | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._down: set[int] = set()  # cameras in an outage (reboot, flap) right now
        self._host_key: Any = None

    # -- construction ---------------------------------------------------------------------------

    def _camera(self, i: int, rng: random.Random) -> SimCamera:
        # Sites take contiguous blocks of addresses, so each has a sweepable range.
        site_name, code = self.sites[i // self._per_site]
        n_site = i % self._per_site  # the n-th camera of its site
        place, location = PLACES[n_site % len(PLACES)]
        name = f"{code}-{place}-{n_site // len(PLACES) + 1:02}"
        cam = make_camera(
            i,
            name,
            slug(site_name),
            "",
            _VENDOR_CODE[VENDOR_CYCLE[i % 20]],
            rng,
            self.username,
            self.password,
            digest=i % 20 in DIGEST_SLOTS,
        )
        cam.onvif_quirks |= vendor_search.quirks_for(i, cam.vendor)
        self._locations[name] = location.format(site=site_name, kind=kind(site_name).lower())
        self._tags[name] = [cam.vendor.value, place]
        return cam

    def _recorder(self, i: int, r: int, rng: random.Random) -> SimCamera:
        site_name, code = self.sites[r % len(self.sites)]
        name = f"{code}-nvr-{r // len(self.sites) + 1:02}"
        cam = make_camera(
            i,
            name,
            slug(site_name),
            "",
            Vendor.HIKVISION,
            rng,
            self.username,
            self.password,
            digest=False,
        )
        model = "DS-7608NI-K2"
        cam.serial = model + cam.serial.removeprefix(cam.model)  # a serial starts with the model
        cam.is_recorder, cam.model, cam.firmware = True, model, "V4.62.210 build 220114"
        cam.storage = [
            Storage(f"HDD{k}", total_mb=3_815_447, used_mb=int(3_815_447 * rng.uniform(0.5, 0.95)))
            for k in (1, 2)
        ]
        self._locations[cam.name] = f"Phòng máy UBND {kind(site_name).lower()} {site_name}"
        self._tags[cam.name] = ["recorder", "nvr"]
        return cam

    def _readdress(self) -> None:
        for cam in self.cameras:
            cam.host = address_for(self._first + cam.index)
            if cam.index in self._nat:
                # Never bound, so fleets may share them: fold into 127.254.0.0/16.
                cam.nat_address = address_for((self._first + cam.index) % (254 * 256), NAT_BASE)

    # -- public view ----------------------------------------------------------------------------

    def by_name(self, name: str) -> SimCamera:
        return self._by_name[name]

    def location(self, cam: SimCamera) -> str:
        return self._locations.get(cam.name, "")

    def tags(self, cam: SimCamera) -> list[str]:
        return list(self._tags.get(cam.name, ()))

    @property
    def injected(self) -> dict[str, set[str]]:
        """Camera name -> faults, for cameras that have any."""
        return {c.name: set(c.faults) for c in self.cameras if c.faults}

    @property
    def credentials(self) -> tuple[str, str]:
        """(username, password) of the fleet account every healthy camera accepts."""
        return self.username, self.password

    def ssh_host_key(self) -> str | None:
        """The recorders' SSH host key as a known_hosts key (``ssh-ed25519 AAAA...``), made on
        first use; None when this fleet serves no SSH."""
        if not self._ssh or not any(c.is_recorder for c in self.cameras):
            return None
        import asyncssh

        if self._host_key is None:
            self._host_key = asyncssh.generate_private_key("ssh-ed25519")
        blob = self._host_key.export_public_key("openssh").decode("ascii").split()
        return f"{blob[0]} {blob[1]}"

    def write_inventory(self, path: str | Path) -> tuple[Path, Path]:
        """Write the inventory and its secrets file (sim/inventory.py); returns both paths.

        Call it once the fleet is started: an automatic address block may move at startup.
        """
        return write_inventory(self, Path(path))

    # -- lifecycle ------------------------------------------------------------------------------

    async def __aenter__(self) -> SimFleet:
        # Per device: HTTP and RTSP listeners, a WS-Discovery socket; plus clients' connections.
        _raise_nofile(len(self.cameras) * (1 + self._rtsp + self._discovery) + 256)
        for attempt in range(8):
            try:
                await self._start_all()
                break
            except OSError as err:
                await self._stop_all()
                if err.errno != errno.EADDRINUSE or not self._auto_block or attempt == 7:
                    raise
                self._first = _block(os.getpid() + attempt * 7919 + 1)
                self._readdress()
                log.debug("sim: address block taken, moving to index %d", self._first)
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._stop_all()

    async def _start_all(self) -> None:
        live = [c for c in self.cameras if not c.has("offline")]
        for c in self.cameras:
            c.online = not c.has("offline")
        for k in range(0, len(live), BIND_BATCH):
            await asyncio.gather(*(self._bring_up(c) for c in live[k : k + BIND_BATCH]))
        if self._discovery:
            self._discovery_service = await start_discovery(live)
            self._sadp_service = await start_sadp(live)
            self._dhip_service = await start_dhip(live)
        for cam in live:
            if cam.has("flapping"):
                self._spawn(self._flap(cam))

    async def _bring_up(self, cam: SimCamera) -> None:
        self._http[cam.index] = await serve(CameraApp(cam, self._reboot), cam.host, cam.onvif_port)
        if self._rtsp:
            # Faults rtsp_down/no_video/frozen/low_fps are read live by the RTSP server.
            self._rtsp_servers[cam.index] = await start_rtsp(cam, default_library())
        if self._ssh and cam.is_recorder:
            from fleetctl.sim.recorder.ssh import (
                start_ssh,
            )  # asyncssh: imported only with recorders

            self.ssh_host_key()
            self._ssh_servers[cam.index] = await start_ssh(cam, self._host_key)

    async def _take_down(self, cam: SimCamera) -> None:
        listener = self._http.pop(cam.index, None)
        if listener is not None:
            await listener.close()
        for servers in (self._rtsp_servers, self._ssh_servers):
            server = servers.pop(cam.index, None)
            if server is not None:
                # close() frees the port at once. Not wait_closed(): from 3.12 on it also waits
                # for established sessions, and a client may hold a stream open for minutes.
                # (A real reboot would cut those sessions; the HTTP side does cut its own.)
                server.close()

    async def _stop_all(self) -> None:
        for service in (self._discovery_service, self._sadp_service, self._dhip_service):
            if service is not None:
                service.close()
                await service.wait_closed()
        self._discovery_service = self._sadp_service = self._dhip_service = None
        indexes = set(self._http) | set(self._rtsp_servers) | set(self._ssh_servers)
        await asyncio.gather(*(self._take_down(self.cameras[i]) for i in indexes))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- outages --------------------------------------------------------------------------------

    def _reboot(self, cam: SimCamera) -> None:
        cam.counters.reboots += 1
        self._spawn(self._do_reboot(cam))

    async def _do_reboot(self, cam: SimCamera) -> None:
        await asyncio.sleep(0.2)  # the reply to SystemReboot leaves first
        seconds = cam.fault_params.get("reboot_s", self.reboot_s)
        if cam.pending_firmware is not None and cam.upgrade_fault == "bricked":
            seconds = math.inf  # a flash that failed for good: a site visit
        await self.outage(cam, seconds, reboot=True)

    async def outage(self, cam: SimCamera, seconds: float, *, reboot: bool = False) -> None:
        """Take ``cam`` off the network for ``seconds`` (refused), then bring it back.

        An outage asked for while one is under way (a reboot of a flapping camera) is dropped.
        """
        if cam.index in self._down:
            return
        self._down.add(cam.index)
        log.debug("sim: %s down for %.1f s%s", cam.name, seconds, " (reboot)" if reboot else "")
        try:
            cam.online = False
            went = cam.now()
            await self._take_down(cam)
            await asyncio.sleep(seconds)
            if cam.history is not None and cam.now() > went:  # nothing recorded while away
                cam.history.gaps.append((went, cam.now(), "reboot" if reboot else "outage"))
            if reboot:
                simfirmware.after_reboot(cam)
                cam.boot_time = time.time()
                if FLAVOURS[cam.vendor].loses_time_on_reboot and cam.datetime_type == "Manual":
                    cam.clock_offset_s = FIRMWARE_EPOCH - time.time()
            await self._bring_up(cam)
            cam.online = True
        finally:
            self._down.discard(cam.index)

    async def _flap(self, cam: SimCamera) -> None:
        rng = random.Random(f"flap:{self.seed}:{cam.index}")
        while True:
            await asyncio.sleep(cam.fault_params.get("flap_up_s", rng.uniform(4, 8)))
            await self.outage(cam, cam.fault_params.get("flap_down_s", rng.uniform(2, 4)))


def _factory_fresh(cam: SimCamera) -> None:
    """Out of the box: the factory account alone, no NTP or DNS, a vendor hostname, the clock
    on Manual, installed on another VLAN than the technician's laptop (no multicast)."""
    cam.fresh = True
    cam.users = {cam.factory_user: User(cam.factory_user, cam.factory_password)}
    cam.hostname = f"{cam.vendor.value.upper()}-{cam.serial[-6:]}"
    cam.ntp_servers, cam.dns_servers, cam.dns_search = [], [], []
    cam.datetime_type, cam.timezone = "Manual", "CST-8"
    cam.link_local = False
    if cam.vendor is Vendor.HIKVISION and not cam.is_recorder:
        if cam.index // 2 % 2 == 0:
            # Firmware of the last ten years: no password until activated, ONVIF off and its
            # user list empty until enabled (sim/vendors/hikvision.py).
            cam.factory = FactoryState()
            cam.users = {}
            if cam.index % 2:  # newer firmware: advertises and requires the V3 activation
                cam.factory.activate_v3 = True
        else:  # firmware from before activation existed: the factory password still opens it
            cam.firmware = "V5.2.5 build 141201"
    elif cam.vendor is Vendor.DAHUA and not cam.is_recorder:
        if cam.index // 2 % 2 == 0:
            # Firmware of the last years: no account until initialised over /OutsideCmd, ONVIF
            # off and its user list empty until enabled (sim/vendors/dahua.py; DHIP:
            # sim/discovery/dhip.py).
            cam.factory = FactoryState(kind="dahua")
            cam.users = {}
        else:  # older firmware: admin/admin opens it
            cam.firmware = "2.400.0000000.16.R, Build Date: 2016-11-23"
    elif cam.vendor is Vendor.AXIS and not cam.is_recorder:
        # AXIS OS 10 and later: no account until the first administrator is made; ONVIF is on,
        # its accounts a separate (empty) list (sim/vendors/axis.py).
        if cam.firmware.startswith("9."):
            cam.firmware = "10.12.114"
        cam.factory = FactoryState(kind="axis", activated=True, onvif_enabled=True)
        cam.users = {}


CLI_BLOCKS = 100  # blocks 0..99 are for `fleetctl sim --block K`; automatic ones start above


def _block(n: int) -> int:
    return (n % 1300 + CLI_BLOCKS) * BLOCK  # max index ~11.5M: stays below 127.253


def _sites(cameras: int, sites: int | Sequence[str] | None) -> list[tuple[str, str]]:
    if isinstance(sites, int):
        count = sites
    elif sites is not None:
        known = dict(SITES)
        return [(s, known.get(s, slug(s)[:2])) for s in sites]
    else:
        count = max(1, min(len(SITES), -(-cameras // 60)))
    return list(SITES[: max(1, min(count, len(SITES)))])


def _raise_nofile(needed: int) -> None:
    """Raise the soft fd limit to the hard one; a clear error if even that is too low."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    if needed > soft:
        raise OSError(
            errno.EMFILE,
            f"this fleet needs about {needed} file descriptors and the "
            f"limit is {soft}: raise it (ulimit -n) or simulate fewer cameras",
        )
