"""`fleetctl serve` against the simulator: metrics, health, report, damping, clean shutdown."""

from __future__ import annotations

import asyncio
import signal
import sys
from dataclasses import replace
from pathlib import Path

import aiohttp
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from fleetctl.core.models import Status
from fleetctl.core.selection import select_cameras
from fleetctl.engine.check.runner import CheckOptions
from fleetctl.engine.serve.metrics import Exposition
from fleetctl.engine.serve.monitor import Monitor, MonitorOptions, Notification
from fleetctl.engine.workspace import load_workspace
from fleetctl.sim.fleet import SimFleet

# Generous deadline: healthy cameras answer in ms; the deadline only matters on a loaded machine.
FAST = CheckOptions(timeout_s=10.0, stream_window_s=0.4)


async def test_cycle_metrics_parse_as_strict_openmetrics(tmp_path: Path) -> None:
    async with SimFleet(
        cameras=8,
        faults="none",
        seed=3,
        assign={1: {"offline"}, 2: {"clock_drift"}},
        discovery=False,
    ) as fleet:
        inv, secrets = fleet.write_inventory(tmp_path / "sim.yaml")
        ws = load_workspace(str(inv), str(secrets))
        cams = select_cameras(ws.inventory, "")
        mon = Monitor(ws, cams, MonitorOptions(interval_s=0.5, flap_checks=1, check=FAST))
        await mon.run_cycle()
        await mon.close()
        body, ctype = Exposition(mon).render(openmetrics=True)
        assert ctype.startswith("application/openmetrics-text")
        families = {
            f.name: f for f in text_string_to_metric_families(body.decode())
        }  # raises if not strict
        up = {s.labels["name"]: s.value for s in families["fleetctl_camera_up"].samples}
        offline, drifted = fleet.cameras[1].name, fleet.cameras[2].name
        assert up[offline] == 0 and sum(up.values()) == len(cams) - 1
        clock = {
            s.labels["name"]: s.value
            for s in families["fleetctl_camera_clock_offset_seconds"].samples
        }
        assert offline not in clock  # not measured: absent, never a fake zero
        assert abs(clock[drifted]) > 300
        site_total = sum(s.value for s in families["fleetctl_site_cameras"].samples)
        assert site_total == len(cams)
        crit = {
            s.labels["name"]
            for s in families["fleetctl_camera_status"].samples
            if s.labels["status"] == "crit" and s.value == 1
        }
        why = {n: [p.message for p in r.problems] for n, r in mon.latest.items() if n in crit}
        assert crit == {offline, drifted}, why


async def test_flap_damping_and_notifications(tmp_path: Path) -> None:
    async with SimFleet(
        cameras=3, faults="none", seed=4, assign={0: {"offline"}}, discovery=False
    ) as fleet:
        inv, secrets = fleet.write_inventory(tmp_path / "sim.yaml")
        ws = load_workspace(str(inv), str(secrets))
        notes: list[Notification] = []

        async def collect(n: Notification) -> None:
            notes.append(n)

        mon = Monitor(
            ws,
            select_cameras(ws.inventory, ""),
            MonitorOptions(interval_s=0.2, flap_checks=2, check=FAST),
            notifier=collect,
        )
        down = fleet.cameras[0].name
        await mon.run_cycle()
        assert mon.latest[down].status.value == "warn"  # pending: one failed check does not page
        assert "pending 1/2" in mon.latest[down].problems[0].message
        await mon.run_cycle()
        await mon.drain_notifications()
        assert mon.latest[down].status.value == "crit"
        assert [(n.transition.value, n.report.name) for n in notes] == [("firing", down)]
        await mon.run_cycle()
        await mon.close()
        assert len(notes) == 1  # still down: reported once, not every cycle


async def test_a_cameras_policy_flap_checks_wins_over_the_flag(tmp_path: Path) -> None:
    async with SimFleet(
        cameras=3, faults="none", seed=4, assign={0: {"offline"}, 1: {"offline"}}, discovery=False
    ) as fleet:
        inv, secrets = fleet.write_inventory(tmp_path / "sim.yaml")
        ws = load_workspace(str(inv), str(secrets))
        own, default = fleet.cameras[0].name, fleet.cameras[1].name
        cams = [
            replace(c, policy=replace(c.policy, flap_checks=1)) if c.name == own else c
            for c in select_cameras(ws.inventory, "")
        ]
        mon = Monitor(ws, cams, MonitorOptions(interval_s=0.2, flap_checks=2, check=FAST))
        await mon.run_cycle()
        await mon.close()
        assert mon.latest[own].status is Status.CRIT  # policy.flap_checks: 1, no damping
        assert mon.latest[default].status is Status.WARN  # --flap-checks 2: pending 1/2
        assert "pending 1/2" in mon.latest[default].problems[0].message


async def test_serve_process_endpoints_and_sigterm(tmp_path: Path) -> None:
    async with SimFleet(cameras=4, faults="none", seed=5, discovery=False) as fleet:
        inv, _ = fleet.write_inventory(tmp_path / "sim.yaml")
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "fleetctl",
            "serve",
            "-i",
            str(inv),
            "--interval",
            "1s",
            "--listen",
            "127.0.0.1:0",
            "--timeout",
            "10",
            "--window",
            "0.3",
            "--db",
            str(tmp_path / "h.sqlite"),
            stderr=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
        )
        assert proc.stderr is not None
        try:
            async with asyncio.timeout(30):
                line = ""
                while "listening on" not in line:
                    line = (await proc.stderr.readline()).decode()
                    assert line, "serve exited early"
            base = line.rsplit("listening on ", 1)[1].strip().removesuffix("/metrics")
            async with aiohttp.ClientSession() as http:
                async with http.get(base + "/report.json") as r:
                    first = await r.json()
                # every inventory camera from the start (unknown until first checked)
                assert len(first["cameras"]) == 4
                async with asyncio.timeout(30):
                    while True:  # wait until the first cycle has checked every camera
                        async with http.get(base + "/healthz") as r:
                            if (await r.json())["checked"] == 4:
                                break
                        await asyncio.sleep(0.2)
                async with http.get(base + "/report.json") as r:
                    report = await r.json()
                assert report["summary"]["total"] == 4
                async with http.get(base + "/healthz") as r:
                    assert r.status == 200 and (await r.json())["status"] == "ok"
                async with http.get(base + "/metrics") as r:
                    text = await r.text()
                    assert r.headers["Content-Type"].startswith("text/plain")
                    assert "fleetctl_camera_up{" in text
                async with http.get(base + "/report") as r:  # the `fleetctl report` page
                    page = await r.text()
                    assert r.status == 200 and r.headers["Content-Type"].startswith("text/html")
                    assert page.count("<svg") >= 3
                    for cam in report["cameras"]:
                        assert f"<td>{cam['site']}</td>" in page
                async with http.get(base + "/report?since=soon") as r:
                    assert r.status == 400
        finally:
            proc.send_signal(signal.SIGTERM)
            async with asyncio.timeout(20):
                rc = await proc.wait()
        assert rc == 0


async def test_a_saturated_cycle_stops_promptly(tmp_path: Path) -> None:
    """SIGTERM while the cycle is behind schedule (every slot busy with hanging cameras): serve
    finishes the checks in flight and starts no more, instead of working through the fleet."""
    async with SimFleet(
        cameras=6, faults="none", seed=6, assign={i: {"hang"} for i in range(6)}, discovery=False
    ) as fleet:
        inv, secrets = fleet.write_inventory(tmp_path / "sim.yaml")
        ws = load_workspace(str(inv), str(secrets))
        opts = MonitorOptions(
            interval_s=0.1, check=CheckOptions(timeout_s=2.0, concurrency=1, stream_window_s=0.3)
        )
        mon = Monitor(ws, select_cameras(ws.inventory, ""), opts)
        stop = asyncio.Event()
        task = asyncio.create_task(mon.run(stop))
        async with asyncio.timeout(30):
            while not mon._sem.locked():  # the one slot is taken: the first check is under way
                await asyncio.sleep(0.01)
        stop.set()
        async with asyncio.timeout(8):  # one in-flight check (2 s), not six of them (12 s)
            await task
        assert len(mon.last_checked) <= 2
        assert len(mon.latest) == 6  # the others are there, unknown: never checked


async def test_every_camera_is_unknown_until_checked_and_the_first_cycle_checks_all_at_once(
    tmp_path: Path,
) -> None:
    async with SimFleet(cameras=4, faults="none", seed=2, discovery=False) as fleet:
        inv, secrets = fleet.write_inventory(tmp_path / "sim.yaml")
        ws = load_workspace(str(inv), str(secrets))
        # A long interval: spread over it, the first cycle would take 40 s.
        opts = MonitorOptions(
            interval_s=60.0, check=CheckOptions(timeout_s=5.0, stream_window_s=0.3)
        )
        mon = Monitor(ws, select_cameras(ws.inventory, ""), opts)
        before = mon.snapshot()
        assert {r.name for r in before.cameras} == {c.name for c in fleet.cameras}
        assert {r.status for r in before.cameras} == {Status.UNKNOWN}
        metrics = Exposition(mon).render(False)[0].decode()
        assert "fleetctl_camera_up{" not in metrics  # not measured: absent, never a guess
        assert 'status="unknown",vendor="unknown"} 1.0' in metrics
        try:
            async with asyncio.timeout(30):  # at once, not spread across the interval
                report = await mon.run_cycle()
        finally:
            await mon.close()
        assert len(report.cameras) == 4
        assert all(r.status is Status.OK for r in mon.latest.values())


def test_metrics_render_from_a_view_taken_on_the_loop_thread() -> None:
    # serve renders in a thread while the loop adds reports: the thread reads a copy. Before,
    # a first cycle at 10,000 cameras answered a scrape with 500 (dict changed size).
    from datetime import UTC, datetime

    from fleetctl.adapters.secrets import SecretStore
    from fleetctl.core.models import Camera, CameraReport, Inventory, Status
    from fleetctl.engine.workspace import Workspace

    cams = [Camera(name=f"c{i}", host=f"127.253.9.{i + 1}", site="s") for i in range(3)]
    ws = Workspace(Inventory(tuple(cams), (), ()), SecretStore(path="<test>", credentials={}))
    mon = Monitor(ws, cams, MonitorOptions(interval_s=60, flap_checks=1, check=FAST))
    now = datetime.now(UTC)

    def report(name: str) -> CameraReport:
        return CameraReport(name, "s", "127.253.9.1", Status.OK, (), checked_at=now)

    exposition = Exposition(mon)
    for name in ("c0", "c1"):
        mon.latest[name] = report(name)
    mon.version += 1
    view = exposition.view()
    mon.latest["c2"] = report("c2")  # the loop moves on while the thread renders
    mon.version += 1
    body, _ = exposition.render(False, view)
    c2_ok = b'name="c2",site="s",status="ok",vendor="unknown"} 1.0'
    assert b'name="c1",site="s",status="ok",vendor="unknown"} 1.0' in body and c2_ok not in body
    body, _ = exposition.render(False)  # a fresh view: the new report is there
    assert c2_ok in body


async def test_the_picture_is_judged_on_a_slower_cadence(tmp_path: Path) -> None:
    async with SimFleet(
        cameras=2, faults="none", seed=2, discovery=False, assign={1: {"picture_black"}}
    ) as fleet:
        inv, secrets = fleet.write_inventory(tmp_path / "sim.yaml")
        ws = load_workspace(str(inv), str(secrets))
        opts = MonitorOptions(
            interval_s=1.0,
            picture_every=2,
            check=CheckOptions(timeout_s=5.0, stream_window_s=0.3),
        )
        mon = Monitor(ws, select_cameras(ws.inventory, ""), opts)
        try:
            cycles = [await mon.run_cycle() for _ in range(3)]
        finally:
            await mon.close()
    judged = [
        sorted(r.name for r in c.cameras if any(s.name == "picture" for s in r.checks))
        for c in cycles
    ]
    names = sorted(c.name for c in fleet.cameras)
    assert judged == [[], names, []]  # not in the first cycle, then every second one
    black = next(r for r in cycles[1].cameras if r.name == fleet.cameras[1].name)
    assert any(p.kind.value == "picture" for p in black.problems)
