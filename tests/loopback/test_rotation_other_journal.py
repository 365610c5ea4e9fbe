"""During a password rotation, `check` (and so `serve` and the TUI) finds the staged password
even when it reads another journal file than the push did (issue 13, item 7): `push --journal`,
another user, or the systemd unit's ProtectHome. Against the simulator: one camera already on
the new password, one still on the old one, and a journal that knows nothing about either."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fleetctl.core.models import ProblemKind, Status
from fleetctl.engine.check.runner import CheckOptions, check_cameras
from fleetctl.engine.workspace import load_workspace
from fleetctl.sim.fleet import SimFleet

NEW = "N3w-rotated-Passw0rd"


async def test_check_uses_the_staged_password_without_the_push_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This process's journal is empty (another file than the push's).
    monkeypatch.setenv("FLEETCTL_JOURNAL", str(tmp_path / "elsewhere" / "journal.sqlite"))
    async with SimFleet(cameras=3, seed=31, discovery=False, nat=0.0) as fleet:
        inv, secrets = fleet.write_inventory(tmp_path / "sim.yaml")
        user, old = fleet.credentials
        # The push stored the new password first (step 1 of a rotation), as `next_password`.
        secrets.write_text(
            f'sim: {{username: "{user}", password: "{old}", next_password: "{NEW}",'
            ' rotation: "r-test"}\n'
        )
        os.chmod(secrets, 0o600)
        rotated, kept = fleet.cameras[0], fleet.cameras[1]
        rotated.users[user].password = NEW  # the push changed this camera, then was killed
        wrong = fleet.cameras[2]
        wrong.users[user].password = "neither-old-nor-new"

        workspace = load_workspace(str(inv), str(secrets))
        report = await check_cameras(
            list(workspace.inventory.cameras),
            workspace,
            CheckOptions(timeout_s=15.0, stream_window_s=0.5),
        )
        hosts = {c.name: c.host for c in workspace.inventory.cameras}
        by_host = {hosts[r.name]: r for r in report.cameras}
        for cam in (rotated, kept):
            r = by_host[cam.host]
            assert r.status is Status.OK, [p.message for p in r.problems]
            assert r.streams and r.streams[0].fps  # the stream used the password that worked
        bad = by_host[wrong.host]
        assert any(p.kind is ProblemKind.AUTH for p in bad.problems)
        # One extra attempt at most on the refusing camera: well inside lockout limits.
        assert wrong.counters.logins_failed <= 4
