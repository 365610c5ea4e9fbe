"""`fleetctl onboard` throughput on factory-fresh simulated cameras, vs onboarding one at a time.

    python benchmarks/bench_onboard.py                  # the box of the README's tour: 20
    python benchmarks/bench_onboard.py --cameras 40

Baseline: the same engine with ``concurrency=1``, i.e. what a technician (or a script walking
the vendor tool's steps) does: one camera after the other. Both runs include discovery (unicast
sweep of the site's range), factory login, account creation and verification, factory password
retirement (or, for an inactive Hikvision, found by SADP multicast on ``lo``: activation with
the device's RSA/AES challenge, ONVIF switched on, its ONVIF user, RTSP Digest; for an
uninitialised Dahua, found by DHIP: initialisation with the account sealed under the device's
RSA key, ONVIF service on, its ONVIF user; for an Axis that needs setup: its administrator, then
its ONVIF account), baseline write
+ read-back, a health check with a 1 s stream window and the
inventory append. The simulator runs in the same process and event loop: its CPU counts against
both contenders alike (figures are conservative). Printed: wall time, cameras per minute, and
the ONVIF writes per camera seen by the simulator, and the mix: how many devices went through
each vendor set-up (Hikvision activated, Dahua initialised, Axis administrator made) and how
many opened with a factory password.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from fleetctl.adapters.secrets import load_secret_file
from fleetctl.core.inventory.load import load_inventory
from fleetctl.core.push.profile import load_profile
from fleetctl.engine.discover import DiscoverOptions
from fleetctl.engine.onboard.runner import OnboardOptions, onboard
from fleetctl.sim.fleet import SimFleet

PROFILE = """\
ntp: {servers: [ntp1.example.vn]}
time: {timezone: "<+07>-7", mode: ntp}
dns: {servers: [10.20.0.53]}
hostname: "{site}-{n:03}"
"""


async def one_run(cameras: int, concurrency: int, seed: int) -> tuple[float, int, int, str]:
    async with SimFleet(cameras=cameras, fresh=cameras, seed=seed) as fleet:
        with tempfile.TemporaryDirectory() as tmp:
            inv, secrets = fleet.write_inventory(Path(tmp) / "sim.yaml")
            (Path(tmp) / "p.yaml").write_text(PROFILE)
            inventory = load_inventory(str(inv))
            site = inventory.sites[0]
            opts = OnboardOptions(
                site=site.name,
                inventory_file=str(inv),
                secrets_path=str(secrets),
                credentials=site.credentials,
                port=site.port,
                profile=load_profile(str(Path(tmp) / "p.yaml")),
                timeout_s=15.0,
                concurrency=concurrency,
                stream_window_s=1.0,
                discover=DiscoverOptions(ranges=site.ranges, wait_s=1.0, tcp_ports=()),
            )
            t0 = time.perf_counter()
            report = await onboard(inventory, load_secret_file(str(secrets)), replace(opts))
            wall = time.perf_counter() - t0
            writes = sum(sum(c.counters.writes.values()) for c in fleet.cameras)
            return wall, report.summary["onboarded"], writes, _mix(fleet)


def _mix(fleet: SimFleet) -> str:
    """``hik/dahua/axis/factory``: devices set up by each vendor flow, and by factory login."""
    kinds = [c.factory.kind for c in fleet.cameras if c.factory and c.factory.activations]
    factory = sum(1 for c in fleet.cameras if c.factory is None)
    return "/".join(str(kinds.count(k)) for k in ("hikvision", "dahua", "axis")) + f"/{factory}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cameras", type=int, default=20)
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()
    logging.getLogger().setLevel(logging.WARNING)  # onvif's basicConfig at import: quiet
    logging.getLogger("fleetctl").setLevel(logging.WARNING)  # the steps' INFO lines too
    rows = []
    for label, conc, seed in (
        ("fleetctl onboard", args.concurrency, 1),
        ("one at a time (baseline)", 1, 2),
    ):
        wall, done, writes, mix = asyncio.run(one_run(args.cameras, conc, seed))
        rows.append((label, conc, wall, done, writes, mix))
    print(
        f"{'contender':26} {'conc':>4} {'wall s':>7} {'onboarded':>9} {'cam/min':>8} "
        f"{'writes/cam':>10} {'hik/dahua/axis/factory':>22}"
    )
    for label, conc, wall, done, writes, mix in rows:
        print(
            f"{label:26} {conc:>4} {wall:>7.1f} {done:>9} {done / wall * 60:>8.0f} "
            f"{writes / max(done, 1):>10.1f} {mix:>22}"
        )
    print(f"speed-up vs baseline: {rows[1][2] / rows[0][2]:.1f}x")


if __name__ == "__main__":
    main()
