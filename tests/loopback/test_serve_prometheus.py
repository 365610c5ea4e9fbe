"""`fleetctl serve` as a district would run it, scraped by Debian's real Prometheus.

Two `fleetctl serve` processes (two districts, each its own sites of a simulated fleet), each
scraped by its own district Prometheus, both federated by a province Prometheus: a PromQL query
at the province returns the totals by status that the districts' own reports give.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import sys
from collections import Counter
from pathlib import Path

import aiohttp
import pytest

from fleetctl.sim.fleet import SimFleet

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.path.exists(PROMETHEUS),
        reason="Debian's prometheus is not installed (.ci/run installs it)",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_serve(
    inventory: Path, select: str, db: Path
) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fleetctl",
        "serve",
        "-i",
        str(inventory),
        "--select",
        select,
        "--interval",
        "2s",
        "--listen",
        "127.0.0.1:0",
        "--flap-checks",
        "1",
        "--timeout",
        "10",
        "--window",
        "0.5",
        "--db",
        str(db),
        stderr=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
    )
    assert proc.stderr is not None
    # Readiness signal: serve prints the address it bound.
    async with asyncio.timeout(30):
        while True:
            line = (await proc.stderr.readline()).decode()
            assert line, "serve exited before listening"
            if "listening on http://" in line:
                url = line.rsplit("listening on ", 1)[1].strip().removesuffix("/metrics")
                return proc, url


async def start_prometheus(
    tmp: Path, name: str, config: str
) -> tuple[asyncio.subprocess.Process, str]:
    """Start Prometheus and return once it says it is ready (``/-/ready``): its start-up (a TSDB
    to open, a config to load) takes from a fraction of a second to several on a busy machine,
    and a query before then is refused. If it exits instead, fail with what it said."""
    port = free_port()
    cfg = tmp / f"{name}.yml"
    cfg.write_text(config)
    log = tmp / f"{name}.log"
    with open(log, "wb") as err:
        proc = await asyncio.create_subprocess_exec(
            PROMETHEUS,
            f"--config.file={cfg}",
            f"--storage.tsdb.path={tmp / name}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=err,
        )
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http, asyncio.timeout(60):
        while True:
            assert proc.returncode is None, f"{name} exited: {log.read_text(errors='replace')}"
            try:
                async with http.get(url + "/-/ready") as r:
                    if r.status == 200:
                        return proc, url
            except aiohttp.ClientConnectionError:
                pass  # not listening yet
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 0.2)


async def until(predicate, what: str, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    """Wait for a condition the system signals by answering: poll its API, bounded."""
    async with asyncio.timeout(timeout):
        while True:
            value = await predicate()
            if value:
                return value
            await asyncio.sleep(0.5)


async def test_province_rollup_through_federation(tmp_path: Path) -> None:
    async with SimFleet(
        cameras=20,
        faults="none",
        seed=7,
        sites=4,
        discovery=False,
        assign={0: {"offline"}, 6: {"clock_drift"}, 11: {"frozen"}, 17: {"clock_skew"}},
    ) as fleet:
        inventory, _ = fleet.write_inventory(tmp_path / "sim.yaml")
        sites = sorted({c.site for c in fleet.cameras})
        assert len(sites) >= 2
        half = len(sites) // 2
        districts = {"north": sites[:half], "south": sites[half:]}
        procs: list[asyncio.subprocess.Process] = []
        try:
            serves: dict[str, str] = {}
            for d, ss in districts.items():
                p, url = await start_serve(
                    inventory, ",".join(f"site:{s}" for s in ss), tmp_path / f"{d}.sqlite"
                )
                procs.append(p)
                serves[d] = url
            district_prom: dict[str, str] = {}
            for d, url in serves.items():
                target = url.removeprefix("http://")
                p, prom = await start_prometheus(
                    tmp_path,
                    f"prom-{d}",
                    (
                        "global: {scrape_interval: 1s, evaluation_interval: 1s, external_labels: {district: %s}}\n"
                        "scrape_configs:\n  - job_name: fleetctl\n    static_configs: [{targets: ['%s']}]\n"
                        % (d, target)
                    ),
                )
                procs.append(p)
                district_prom[d] = prom
            targets = ", ".join(f"'{u.removeprefix('http://')}'" for u in district_prom.values())
            p, province = await start_prometheus(
                tmp_path,
                "prom-province",
                (
                    "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                    "scrape_configs:\n  - job_name: federate\n    honor_labels: true\n    metrics_path: /federate\n"
                    "    params: {'match[]': ['fleetctl_site_cameras']}\n"
                    f"    static_configs: [{{targets: [{targets}]}}]\n"
                ),
            )
            procs.append(p)

            async with aiohttp.ClientSession() as http:

                async def reports_complete() -> dict[str, Counter[str]] | None:
                    out: dict[str, Counter[str]] = {}
                    for d, url in serves.items():
                        async with http.get(url + "/report.json") as r:
                            body = await r.json()
                        out[d] = Counter(c["status"] for c in body["cameras"])
                    done = sum(sum(c.values()) for c in out.values()) == len(fleet.cameras)
                    return out if done else None

                await until(reports_complete, "every camera checked once")

                async def province_totals() -> dict[str, float] | None:
                    q = "sum by (status) (fleetctl_site_cameras)"
                    async with http.get(province + "/api/v1/query", params={"query": q}) as r:
                        if r.status != 200:
                            return None
                        data = await r.json()
                    totals = {
                        s["metric"]["status"]: float(s["value"][1]) for s in data["data"]["result"]
                    }
                    if sum(totals.values()) != len(fleet.cameras):
                        return None
                    # Both districts must be present at the province.
                    q2 = "count by (district) (fleetctl_site_cameras)"
                    async with http.get(province + "/api/v1/query", params={"query": q2}) as r:
                        per = await r.json()
                    if {s["metric"].get("district") for s in per["data"]["result"]} != set(
                        districts
                    ):
                        return None
                    return totals

                async def province_agrees() -> dict[str, float] | None:
                    # Statuses change between cycles: wait for an instant where the
                    # province's federated totals equal the districts' own reports.
                    totals = await province_totals()
                    districts_now = await reports_complete()
                    if totals is None or districts_now is None:
                        return None
                    expected: Counter[str] = Counter()
                    for c in districts_now.values():
                        expected.update(c)
                    # Under load a first cycle can time out; wait for the fleet's true state.
                    settled = expected == Counter(ok=16, crit=3, warn=1)
                    agree = {k: v for k, v in totals.items() if v} == dict(expected)
                    return totals if settled and agree else None

                totals = await until(
                    province_agrees, "province totals equal district reports", timeout=90
                )
                assert sum(totals.values()) == len(fleet.cameras)
                assert totals["crit"] == 3 and totals["warn"] == 1  # offline, drift, frozen; skew
        finally:
            for p in procs:
                if p.returncode is None:
                    p.send_signal(signal.SIGTERM)
            for p in procs:
                try:
                    async with asyncio.timeout(15):
                        await p.wait()
                except TimeoutError:
                    p.kill()
            # serve exits 0 on SIGTERM: a clean shutdown.
            assert procs[0].returncode == 0 and procs[1].returncode == 0
