"""The start order of a check: cameras that were slow last time start first.

A run ends when its last camera ends; a hung or slow camera costs ~8-10 s of wall time but no
CPU, so it must not be the last one started. The history keeps each camera's last duration
(``latest.duration_s``) and ``admission.start_order`` starts the longest first.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fleetctl.adapters.secrets import SecretStore
from fleetctl.core.models import Camera, CameraReport, Credential, FleetReport, Inventory, Status
from fleetctl.core.secret import Secret
from fleetctl.engine.check import admission as adm
from fleetctl.engine.check.admission import Admission, schedule, start_order
from fleetctl.engine.check.parallel import ForkedCheck
from fleetctl.engine.check.runner import CheckOptions, check_cameras
from fleetctl.engine.history import HistoryStore
from fleetctl.engine.workspace import Workspace
from fleetctl.sim.fleet import SimFleet

T = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
NAMES = ["a", "b", "c", "d", "e", "f"]
NAMES_AS_CAMERAS = [Camera(n, f"127.253.0.{i + 1}", "s") for i, n in enumerate(NAMES)]


@pytest.mark.parametrize(
    ("expected", "order"),
    [
        pytest.param({}, [0, 1, 2, 3, 4, 5], id="nothing-known"),  # inventory order
        pytest.param({n: 1.0 for n in NAMES}, [0, 1, 2, 3, 4, 5], id="all-alike"),  # same
        pytest.param(
            {"a": 1.0, "b": 1.1, "c": 9.8, "d": 0.9, "e": 7.5, "f": 1.2},
            [2, 4, 5, 1, 0, 3],
            id="slowest-first",
        ),
        # unknown cameras count as typical (the median, 1.2 s here), ties in inventory order
        pytest.param({"b": 1.0, "d": 8.0, "f": 1.2}, [3, 0, 2, 4, 5, 1], id="unknown-are-typical"),
        # equal durations keep inventory order between them
        pytest.param(
            {"a": 1.0, "b": 5.0, "c": 1.0, "d": 5.0, "e": 1.0, "f": 1.0},
            [1, 3, 0, 2, 4, 5],
            id="ties-in-inventory-order",
        ),
        # a loaded machine: healthy cameras took 4 s, the hung one 7 s; it still goes first
        pytest.param({n: 4.0 for n in NAMES} | {"f": 7.0}, [5, 0, 1, 2, 3, 4], id="loaded-machine"),
    ],
)
def test_start_order(expected: dict[str, float], order: list[int]) -> None:
    assert start_order(NAMES, expected) == order
    assert schedule(NAMES_AS_CAMERAS, expected) == [NAMES_AS_CAMERAS[i] for i in order]


def report(name: str, duration_s: float | None) -> CameraReport:
    return CameraReport(name, "s", "h", Status.OK, checked_at=T, duration_s=duration_s)


def test_history_keeps_the_last_known_duration(tmp_path: Path) -> None:
    with HistoryStore(str(tmp_path / "h.sqlite")) as h:
        assert h.last_durations() == {}
        h.record(FleetReport("0", T, 1.0, (report("a", 1.5), report("b", 9.0), report("c", None))))
        assert h.last_durations() == {"a": 1.5, "b": 9.0}  # unknown is left out
        h.record(FleetReport("0", T, 1.0, (report("a", 2.5), report("b", None))))
        # a run that did not measure b does not forget what was known
        assert h.last_durations() == {"a": 2.5, "b": 9.0}


def test_a_store_from_before_durations_gains_the_column(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE schema_version (version INTEGER NOT NULL);"
        "INSERT INTO schema_version VALUES (1);"
        "CREATE TABLE latest (camera TEXT PRIMARY KEY, run_id INTEGER NOT NULL,"
        " checked_at TEXT NOT NULL, status TEXT NOT NULL);"
        "INSERT INTO latest VALUES ('a', 1, '2026-11-28T07:00:00Z', 'crit');"
    )
    db.close()
    with HistoryStore(str(path)) as h:
        assert h.last_statuses() == {"a": Status.CRIT}
        assert h.last_durations() == {}
        h.record(FleetReport("0", T, 1.0, (report("a", 3.0),)))
        assert h.last_durations() == {"a": 3.0}
        assert h.last_statuses() == {"a": Status.OK}


def workspace_for(fleet: SimFleet) -> tuple[Workspace, list[Camera]]:
    user, password = fleet.credentials
    cameras = [
        Camera(name=c.name, host=c.host, site=c.site, port=c.onvif_port, credentials="fleet")
        for c in fleet.cameras
    ]
    store = SecretStore(
        path="<test>", credentials={"fleet": Credential("fleet", user, Secret(password))}
    )
    return Workspace(Inventory(tuple(cameras), (), ()), store), cameras


# One camera at a time, so the order results arrive in is the order cameras were started in.
# Reach and ONVIF only: the order does not depend on the probes, and this keeps the test quick.
SERIAL = CheckOptions(timeout_s=5.0, concurrency=1, probes=frozenset({"reach", "onvif"}))


async def test_the_camera_slow_last_time_is_checked_first(
    sim_fleet: SimFleet, tmp_path: Path
) -> None:
    workspace, cameras = workspace_for(sim_fleet)
    names = [c.name for c in cameras]
    slow = names[4]
    with HistoryStore(str(tmp_path / "h.sqlite")) as history:
        last = tuple(report(n, 9.0 if n == slow else 0.5) for n in names)
        history.record(FleetReport("0", T, 9.0, last))

        seen: list[str] = []
        fleet = await check_cameras(
            cameras, workspace, SERIAL, on_result=lambda r: seen.append(r.name), history=history
        )
        assert seen == [slow, *(n for n in names if n != slow)]
        assert [c.name for c in fleet.cameras] == names  # the report keeps inventory order
        assert all(c.status is Status.OK for c in fleet.cameras), fleet.cameras
        # This run measured every camera, and the store now has those durations, not the old 9 s.
        durations = history.last_durations()
        assert set(durations) == set(names)
        assert all(0 < d < 5.0 for d in durations.values()), durations
        assert durations == {c.name: c.duration_s for c in fleet.cameras}


async def test_forked_check_starts_the_slow_cameras_first(
    sim_fleet: SimFleet, tmp_path: Path
) -> None:
    workspace, cameras = workspace_for(sim_fleet)
    names = [c.name for c in cameras]
    expected = {n: 0.5 for n in names} | {names[5]: 8.0, names[2]: 9.5}
    # One worker: no fork (this test's event loop already runs), the same scheduling path.
    job = ForkedCheck.start(cameras, workspace, SERIAL, 1, expected)
    assert [c.name for c in job.own] == [names[2], names[5], names[0], names[1], names[3], names[4]]
    seen: list[str] = []
    fleet = await job.run(lambda r: seen.append(r.name))
    assert seen == [c.name for c in job.own]
    assert [c.name for c in fleet.cameras] == names
    assert all(c.duration_s is not None and c.duration_s > 0 for c in fleet.cameras)


async def test_admission_doubles_until_the_loop_is_first_late() -> None:
    a = Admission(ceiling=1000)
    limits = []
    for lag in (0.0, 0.0, 0.0, 1.0, 0.0, 0.0):
        a.active = a.limit  # demand waits at every sample
        await a.adjust(lag)
        limits.append(a.limit)
    late = int(adm.START * 8 * adm.BACKOFF)
    assert limits == [
        adm.START * 2,
        adm.START * 4,
        adm.START * 8,
        late,  # late: back off, and slow start is over
        late + adm.STEP,
        late + 2 * adm.STEP,
    ]
    capped = Admission(ceiling=50)
    capped.active = capped.limit
    await capped.adjust(0.0)
    assert capped.limit == 50  # never past the ceiling
