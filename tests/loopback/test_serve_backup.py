"""`serve --backup-dir`: the nightly backup against the simulator, with the clock injected (no
sleeping until 02:30): nothing before its time, one run at it, the metrics after it."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path

from prometheus_client.openmetrics.parser import text_string_to_metric_families

from fleetctl.core.selection import select_cameras
from fleetctl.engine.backup import BackupOptions
from fleetctl.engine.serve.metrics import Exposition
from fleetctl.engine.serve.monitor import Monitor, MonitorOptions
from fleetctl.engine.serve.nightly import BackupRun, NightlyBackup, next_run
from fleetctl.engine.workspace import load_workspace
from fleetctl.sim.fleet import SimFleet

ICT = timezone(timedelta(hours=7))  # Vietnam: where these cameras are


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def metrics(exposition: Exposition) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    body, _ = exposition.render(openmetrics=True)
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for fam in text_string_to_metric_families(body.decode()):
        for s in fam.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


async def test_nightly_backup_runs_at_its_time_and_shows_in_metrics(tmp_path: Path) -> None:
    async with SimFleet(
        cameras=3, faults="none", seed=41, assign={2: {"offline"}}, discovery=False, rtsp=False
    ) as fleet:
        inv, secrets = fleet.write_inventory(tmp_path / "sim.yaml")
        ws = load_workspace(str(inv), str(secrets))
        cams = select_cameras(ws.inventory, "")
        clock = FakeClock(datetime(2026, 12, 7, 1, 0, tzinfo=ICT))
        said: list[BackupRun] = []
        out = tmp_path / "backups"
        nightly = NightlyBackup(
            ws,
            cams,
            str(out),
            time(2, 30),
            options=BackupOptions(timeout_s=8.0, concurrency=2),
            clock=clock,
            on_done=said.append,
        )
        monitor = Monitor(ws, cams, MonitorOptions(interval_s=60))
        exposition = Exposition(monitor, nightly)
        assert "fleetctl_backup_last_success_timestamp_seconds" not in metrics(exposition)

        clock.now = datetime(2026, 12, 7, 2, 29, tzinfo=ICT)
        assert await nightly.tick() is None and not out.exists()  # not yet

        clock.now = datetime(2026, 12, 7, 2, 30, 5, tzinfo=ICT)
        run = await nightly.tick()
        assert run is not None and run.counts == {"saved": 2, "unchanged": 0, "failed": 1}
        assert said == [run]
        assert "2 saved, 0 unchanged, 1 failed" in run.summary(str(out))
        assert {p.name for p in out.iterdir()} == {c.name for c in fleet.cameras[:2]}
        got = metrics(exposition)
        stamp = got["fleetctl_backup_last_success_timestamp_seconds"][()]
        assert abs(stamp - datetime.now(UTC).timestamp()) < 600
        by_result = {dict(k)["result"]: v for k, v in got["fleetctl_backup_cameras"].items()}
        assert by_result == {"saved": 2.0, "unchanged": 0.0, "failed": 1.0}

        # Once a day: a minute later nothing runs; the next is tomorrow's 02:30.
        clock.now += timedelta(minutes=1)
        assert await nightly.tick() is None
        assert nightly.due == datetime(2026, 12, 8, 2, 30, tzinfo=ICT)
        clock.now = datetime(2026, 12, 8, 2, 31, tzinfo=ICT)
        again = await nightly.tick()
        assert again is not None and again.counts["unchanged"] == 2  # nothing new written
        await monitor.close()


def test_next_run_is_strictly_after_now_in_local_time() -> None:
    at = time(2, 30)
    assert next_run(datetime(2026, 12, 7, 1, 0, tzinfo=ICT), at) == datetime(
        2026, 12, 7, 2, 30, tzinfo=ICT
    )
    assert next_run(datetime(2026, 12, 7, 2, 30, tzinfo=ICT), at) == datetime(
        2026, 12, 8, 2, 30, tzinfo=ICT
    )
    assert next_run(datetime(2026, 12, 31, 23, 0, tzinfo=ICT), at) == datetime(
        2027, 1, 1, 2, 30, tzinfo=ICT
    )
