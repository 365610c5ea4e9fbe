"""Push planning, profiles and rollout arithmetic: pure, table-driven."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetctl.core.errors import InventoryError, UsageError
from fleetctl.core.push.plan import DeviceSettings, EncoderState, plan_camera
from fleetctl.core.push.profile import load_profile
from fleetctl.core.push.rollout import batch_size, batches, exceeds

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("failures", "batch", "pct", "abort"),
    [
        (0, 10, 0, False),
        (1, 10, 0, True),  # --max-fail 0: any failure aborts
        (1, 10, 10, False),  # exactly at the threshold: not exceeded
        (2, 10, 10, True),
        (1, 3, 33, True),  # 33.3% > 33%
        (1, 3, 34, False),
        (5, 5, 100, False),  # --max-fail 100 never aborts
        (0, 0, 0, False),
    ],
)
def test_max_fail_threshold_is_exceeded_exactly(
    failures: int, batch: int, pct: float, abort: bool
) -> None:
    assert exceeds(failures, batch, pct) is abort


@pytest.mark.parametrize(
    ("total", "canary", "size", "expected"),
    [
        (10, 0, 4, [(0, 4), (4, 8), (8, 10)]),
        (10, 2, 5, [(0, 2), (2, 7), (7, 10)]),
        (3, 5, 2, [(0, 3)]),
        (0, 1, 1, []),
    ],
    ids=["three-batches", "canary-first", "canary-larger-than-fleet", "nothing-to-do"],
)
def test_batches(total: int, canary: int, size: int, expected: list[tuple[int, int]]) -> None:
    assert [(r.start, r.stop) for r in batches(total, canary=canary, size=size)] == expected


def test_batch_size_specs() -> None:
    assert batch_size(None, 37) == 37
    assert batch_size("10", 37) == 10
    assert batch_size("10%", 37) == 4  # rounds up: never a batch of zero
    with pytest.raises(UsageError):
        batch_size("ten", 37)
    with pytest.raises(UsageError):
        batch_size("0", 37)


def test_example_profile_loads() -> None:
    p = load_profile(str(REPO / "inventories/profiles/baseline.yaml"))
    assert (
        p.timezone == "<+07>-7"
        and p.render_hostname(site="dong-tien", n=7, name="x") == "dong-tien-007"
    )


def test_bad_profile_reports_every_problem_with_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "ntp:\n  servrs: [127.0.0.1]\n"  # typo
        "time:\n  timezone: Asia/Ho_Chi_Minh\n  mode: gps\n"  # Olson name, bad mode
        "hostname: '{site}-{idx}'\n"  # unknown field
        "video:\n  main: {resolution: big, fps: 500}\n"  # bad resolution, impossible fps
        "reboot: sometimes\n"
    )
    with pytest.raises(InventoryError) as err:
        load_profile(str(bad))
    got = {(i.line, i.key) for i in err.value.issues}
    assert got == {
        (2, "ntp.servrs"),
        (4, "time.timezone"),
        (5, "time.mode"),
        (6, "hostname"),
        (8, "video.main.resolution"),
        (8, "video.main.fps"),
        (9, "reboot"),
    }
    assert "did you mean `servers`" in str(err.value)
    assert str(err.value).startswith("7 problems in the profile:")  # not "in the inventory"


def _settings(**kw: object) -> DeviceSettings:
    enc = EncoderState(
        token="v1",
        codec="H264",
        resolution="1920x1080",
        fps=25.0,
        bitrate_kbps=4096,
        gop=50,
        resolutions=("1920x1080", "1280x720"),
        fps_range=(1, 30),
        gop_range=(1, 400),
        codecs=("H264",),
    )
    base: dict[str, object] = dict(
        hostname="cam-1",
        ntp_servers=("pool.ntp.org",),
        ntp_from_dhcp=False,
        timezone="CST-8",
        time_mode="manual",
        dns_servers=(),
        dns_search=(),
        encoders={"main": enc},
    )
    base.update(kw)
    return DeviceSettings(**base)  # type: ignore[arg-type]


def test_plan_changes_unchanged_and_unsupported(tmp_path: Path) -> None:
    prof = tmp_path / "p.yaml"
    prof.write_text(
        "ntp: {servers: [127.0.0.5]}\ntime: {timezone: '<+07>-7', mode: ntp}\nhostname: '{site}-{n:02}'\n"
        "video:\n  main: {resolution: 2688x1520, fps: 25, bitrate_kbps: 2048}\n  sub: {fps: 10}\n"
    )
    plan = plan_camera(load_profile(str(prof)), _settings(), camera="cam-1", site="dt", n=3)
    changes = {c.setting: (c.old, c.new) for c in plan.changes}
    assert changes == {
        "hostname": ("cam-1", "dt-03"),
        "ntp.servers": (["pool.ntp.org"], ["127.0.0.5"]),
        "time.timezone": ("CST-8", "<+07>-7"),
        "time.mode": ("manual", "ntp"),
        "video.main.bitrate_kbps": (4096, 2048),
    }
    assert set(plan.unchanged) == {"ntp.from_dhcp", "video.main.fps"}
    assert any("2688x1520 not offered" in u for u in plan.unsupported)
    assert any("no sub stream" in u for u in plan.unsupported)
    assert plan.groups == ("hostname", "ntp", "time", "video.main")
    # Planning again against the result changes nothing: push is idempotent by construction.
    after = _settings(
        hostname="dt-03",
        ntp_servers=("127.0.0.5",),
        timezone="<+07>-7",
        time_mode="ntp",
        encoders={
            "main": EncoderState("v1", "H264", "1920x1080", 25.0, 2048, 50, ("1920x1080",), (1, 30))
        },
    )
    again = plan_camera(load_profile(str(prof)), after, camera="cam-1", site="dt", n=3)
    assert again.changes == ()
