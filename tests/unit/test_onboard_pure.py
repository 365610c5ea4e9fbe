"""Pure parts of onboarding: naming, device ids, generated passwords, the report's shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from fleetctl.core.models import DeviceInfo
from fleetctl.core.push.profile import Profile
from fleetctl.engine.discover import DeviceScopes, DeviceStatus, DiscoveredDevice
from fleetctl.engine.onboard.runner import (
    DeviceOutcome,
    OnboardReport,
    Result,
    Step,
    assign_names,
    device_id,
    new_password,
)

DEFAULT = Profile(source="t", hostname="{site}-{n:03}")


@pytest.mark.parametrize(
    ("hostnames", "taken", "want"),
    [
        # fresh devices take n in order
        ([None, "HIKVISION-1"], set(), [("dt-001", 1), ("dt-002", 2)]),
        # names already in the inventory are skipped
        ([None, None], {"dt-001", "dt-003"}, [("dt-002", 2), ("dt-004", 4)]),
        # a rerun: the device kept the hostname a previous run gave it, and keeps its n
        ([None, "dt-002"], set(), [("dt-001", 1), ("dt-002", 2)]),
        (["dt-005", None], set(), [("dt-005", 5), ("dt-001", 1)]),
        # ... unless that name is taken by an inventory camera (a clone of another's config)
        (["dt-001", None], {"dt-001"}, [("dt-002", 2), ("dt-003", 3)]),
        # two devices claiming one name: the first keeps it
        (["dt-002", "dt-002"], set(), [("dt-002", 2), ("dt-001", 1)]),
    ],
    ids=[
        "fresh-in-order",
        "inventory-names-skipped",
        "rerun-keeps-its-n",
        "rerun-keeps-a-later-n",
        "taken-name-renamed",
        "one-name-claimed-twice",
    ],
)
def test_assign_names(
    hostnames: list[str | None], taken: set[str], want: list[tuple[str, int]]
) -> None:
    assert assign_names(hostnames, taken, "dt", DEFAULT) == want


def test_assign_names_follow_the_profile_hostname_pattern() -> None:
    profile = Profile(source="t", hostname="cam-{n}-{site}")
    assert assign_names(["cam-7-dt", None], set(), "dt", profile) == [("dt-007", 7), ("dt-001", 1)]


def _dev(**kw: object) -> DiscoveredDevice:
    return DiscoveredDevice(address="127.16.0.9", port=8080, status=DeviceStatus.NEW, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("dev", "want"),
    [
        (
            _dev(scopes=DeviceScopes(mac="C0-56-E3-AA-BB-CC"), device=DeviceInfo(serial="X1")),
            "c056e3aabbcc",
        ),
        (_dev(device=DeviceInfo(serial="DS-2CD 2143/G2")), "ds-2cd-2143-g2"),
        (_dev(endpoint="urn:uuid:5d0c51f9-18fc"), "5d0c51f9-18fc"),
        (_dev(), "127.16.0.9"),
    ],
    ids=["mac-before-serial", "serial", "endpoint", "address-last"],
)
def test_device_id_is_stable_identity_first(dev: DiscoveredDevice, want: str) -> None:
    assert device_id(dev) == want


def test_new_password_is_strong_and_url_safe() -> None:
    seen = {new_password() for _ in range(50)}
    assert len(seen) == 50
    for pw in seen:
        assert len(pw) == 20 and pw.isalnum()  # no @ : / % to break an RTSP URL
        assert any(c.isupper() for c in pw) and any(c.islower() for c in pw)
        assert any(c.isdigit() for c in pw)


def test_report_json_shape() -> None:
    dev = _dev(device=DeviceInfo(manufacturer="HIKVISION", model="DS-2CD2143G2-I"))
    report = OnboardReport(
        "dt",
        (
            DeviceOutcome(
                "127.16.0.9", 8080, Result.FAILED, Step.LOGIN, "factory login rejected", device=dev
            ),
            DeviceOutcome(
                "127.16.0.10",
                8080,
                Result.SKIPPED,
                Step.FIND,
                "already in inventory",
                name="dt-001",
            ),
        ),
        datetime(2026, 11, 28, tzinfo=UTC),
        1.5,
    )
    doc = json.loads(json.dumps(report.to_json()))
    assert doc["summary"] == {"onboarded": 0, "skipped": 1, "failed": 1, "planned": 0}
    first = doc["devices"][0]
    assert (first["result"], first["step"], first["manufacturer"]) == (
        "failed",
        "login",
        "HIKVISION",
    )


async def test_missing_credentials_fail_the_run_before_any_packet(tmp_path: object) -> None:
    from fleetctl.adapters.secrets import SecretStore
    from fleetctl.core.errors import SecretsError
    from fleetctl.engine.discover import DiscoverOptions
    from fleetctl.engine.onboard.runner import OnboardOptions, onboard

    store = SecretStore("/nonexistent/secrets.yaml", "test", {}, exists=False)
    # 127.253.x.y is never bound: were anything sent, it would go nowhere.
    opts = OnboardOptions(
        site="dt",
        inventory_file="/nonexistent/inv.yaml",
        secrets_path=store.path,
        credentials="district",
        factory_credentials=("factory-old",),
        discover=DiscoverOptions(ranges=("127.253.0.9",), multicast=False),
    )
    with pytest.raises(SecretsError, match="factory-old"):
        await onboard(None, store, opts)


def test_table_lists_a_plan_in_full_and_the_reason_of_a_failure() -> None:
    import io

    from fleetctl.cli.run.onboard import render, summary

    report = OnboardReport(
        "dt",
        (
            DeviceOutcome(
                "127.16.0.9",
                8080,
                Result.PLANNED,
                Step.DONE,
                name="dt-001",
                actions=("create the fleet account", "set hostname: 'X' -> 'dt-001'"),
            ),
            DeviceOutcome(
                "127.16.0.10", 8080, Result.FAILED, Step.LOGIN, "factory login rejected (admin)"
            ),
        ),
        datetime(2026, 11, 28, tzinfo=UTC),
        2.0,
        dry_run=True,
    )
    out = io.StringIO()
    render(report, "table", out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["ADDRESS", "RESULT", "STEP", "NAME", "DEVICE", "DETAIL"]
    assert lines[1].split()[:4] == ["127.16.0.9", "planned", "done", "dt-001"]
    assert lines[2:4] == ["    - create the fleet account", "    - set hostname: 'X' -> 'dt-001'"]
    assert lines[4].split()[:3] == ["127.16.0.10", "failed", "login"]
    assert lines[4].endswith("factory login rejected (admin)")
    assert "dry run" in summary(report) and "1 failed" in summary(report)
