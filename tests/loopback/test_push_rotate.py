"""Password rotation against the simulator: a kill -9 at every step never locks a camera out.

The push runs in a subprocess (the simulator lives in this process's event loop) and is killed
deterministically by the FLEETCTL_TEST_KILL_AT hook (engine/push/rotate.py). After each kill the
devices' own state (``cam.users[...]``) must match a password the secrets file and the journal
know for that camera; then ``push --resume`` must finish the rotation.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
from support.push import push_argv, push_process
from support.push import push_here as run_here

from fleetctl.adapters.secrets import load_secret_file
from fleetctl.engine.push.journal import Journal
from fleetctl.engine.push.rotate import KILL_ENV, KILL_STEPS
from fleetctl.sim.camera.model import SimCamera
from fleetctl.sim.fleet import SimFleet

PROFILE = "users: {rotate: [sim]}\n"
CRED = "sim"  # the credential name SimFleet.write_inventory gives every camera


async def push(
    inv: Path, tmp: Path, *extra: str, kill_at: str | None = None
) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (KILL_ENV, "FLEETCTL_SECRETS")}
    if kill_at is not None:
        env[KILL_ENV] = kill_at
    return await push_process(
        push_argv(inv, tmp, PROFILE, "--yes", *extra, name="rotate.yaml"), env
    )


async def push_here(
    inv: Path, tmp: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, dict[str, Any]]:
    """The same CLI run in this process (no kill needed: saves an interpreter start)."""
    return await run_here(push_argv(inv, tmp, PROFILE, "--yes", *extra, name="rotate.yaml"), capsys)


def known(secrets: Path, journal_path: Path, cams: list[SimCamera]) -> dict[str, set[str]]:
    """Per camera, the passwords the tool believes it may have: from secrets + journal only."""
    store = load_secret_file(str(secrets))
    old = store.credentials[CRED].password
    assert old is not None
    p = store.pending.get(CRED)
    if p is None:
        return {c.name: {old.reveal()} for c in cams}
    journal = Journal(str(journal_path))
    try:
        states = journal.latest_states(f"password:{CRED}", f"rotation:{p.rotation}")
    finally:
        journal.close()
    out = {}
    for c in cams:
        state = states.get(c.name)
        out[c.name] = (
            {p.password.reveal()}
            if state == "verified"
            else {old.reveal(), p.password.reveal()}
            if state == "intent"
            else {old.reveal()}
        )
    return out


def device_password(fleet: SimFleet, cam: SimCamera) -> str:
    return cam.users[fleet.username].password


@pytest.mark.slow
async def test_rotation_survives_a_kill_at_every_step_and_resume_finishes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLEETCTL_SECRETS", raising=False)
    async with SimFleet(
        cameras=3, faults="none", seed=21, discovery=False, rtsp=False, ssh=False
    ) as fleet:
        inv, secrets = fleet.write_inventory(tmp_path / "sim.yaml")
        cams = fleet.cameras[:3]
        journal = tmp_path / "journal.sqlite"
        seen = {fleet.password}
        for step in KILL_STEPS:
            rc, out, err = await push(inv, tmp_path, kill_at=step)
            assert rc == -signal.SIGKILL, (step, rc, err)
            beliefs = known(secrets, journal, cams)
            for c in cams:  # nobody locked out: the device's password is one the tool knows for it
                assert device_password(fleet, c) in beliefs[c.name], (step, c.name)
            pending = load_secret_file(str(secrets)).pending
            assert CRED in pending, step  # the new password is stored before any camera has it
            new = pending[CRED].password.reveal()
            on_new = sum(device_password(fleet, c) == new for c in cams)
            # Each kill point is where it claims to be (else this test would prove nothing).
            if step in ("secrets", "intent"):
                assert on_new == 0, step
            if step == "sent":
                assert on_new >= 1 and any(len(beliefs[c.name]) == 2 for c in cams), step
            if step == "promote":
                assert on_new == 3 and all(beliefs[c.name] == {new} for c in cams), step

            rc, report = await push_here(inv, tmp_path, capsys, "--resume")
            assert rc == 0, (step, report)
            assert report["rotations"] == {CRED: 0}, (step, report)
            store = load_secret_file(str(secrets))
            assert not store.pending, step  # promoted: one password again
            password = store.credentials[CRED].password
            assert password is not None and password.reveal() not in seen, step
            seen.add(password.reveal())
            assert all(device_password(fleet, c) == password.reveal() for c in cams), step
            assert len(password.reveal()) >= 16 and password.reveal().isalnum()
            for text in (out, err, json.dumps(report), journal.read_bytes().decode("latin-1")):
                assert not any(pw in text for pw in seen), step  # markers only, never a password
        assert all(c.counters.logins_failed <= 3 * len(KILL_STEPS) for c in cams)


async def test_a_camera_that_does_not_keep_the_password_keeps_the_old_one_until_a_rerun(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLEETCTL_SECRETS", raising=False)
    async with SimFleet(
        cameras=3, faults="none", seed=22, discovery=False, rtsp=False, ssh=False
    ) as fleet:
        inv, secrets = fleet.write_inventory(tmp_path / "sim.yaml")
        cams = fleet.cameras[:3]
        stubborn = cams[1]
        stubborn.write_faults = {"SetUser": "ignore"}  # 200 OK, password unchanged
        rc, report = await push_here(inv, tmp_path, capsys, "--max-fail", "100")
        results = {c["name"]: c["result"] for c in report["cameras"]}
        assert results[stubborn.name] == "restored" and rc == 1, report
        assert report["rotations"] == {CRED: 1}
        store = load_secret_file(str(secrets))
        pending = store.pending[CRED].password.reveal()
        assert device_password(fleet, stubborn) == fleet.password  # kept the old one
        assert all(device_password(fleet, c) == pending for c in cams if c is not stubborn)
        beliefs = known(secrets, tmp_path / "journal.sqlite", cams)
        assert all(beliefs[c.name] == {device_password(fleet, c)} for c in cams)

        stubborn.write_faults = {}
        rc, report = await push_here(inv, tmp_path, capsys, "--limit", "@failed")
        assert rc == 0 and [c["name"] for c in report["cameras"]] == [stubborn.name], report
        assert report["rotations"] == {CRED: 0}
        store = load_secret_file(str(secrets))
        assert not store.pending
        password = store.credentials[CRED].password
        # The pending password was reused (others already had it), then promoted.
        assert password is not None and password.reveal() == pending
        assert all(device_password(fleet, c) == pending for c in cams)


async def test_check_during_a_pending_rotation_uses_the_password_each_camera_has(
    tmp_path: Path,
) -> None:
    """Killed just before promotion: every camera has the new password, the secrets file still
    names the old one as `password`. `check` must read the journal and log in with the new one."""
    async with SimFleet(cameras=3, faults="none", seed=31, discovery=False, rtsp=False) as fleet:
        inv, _ = fleet.write_inventory(tmp_path / "sim.yaml")
        rc, _, _ = await push(inv, tmp_path, kill_at="promote")
        assert rc == -signal.SIGKILL
        env = {**os.environ, "FLEETCTL_JOURNAL": str(tmp_path / "journal.sqlite")}
        env.pop("FLEETCTL_SECRETS", None)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "fleetctl",
            "check",
            "-i",
            str(inv),
            "-f",
            "json",
            "-q",
            "--no-history",
            "--window",
            "0.3",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(120):
            out, err = await proc.communicate()
        kinds = {c["name"]: [p["kind"] for p in c["problems"]] for c in json.loads(out)["cameras"]}
        assert all("auth" not in k for k in kinds.values()), (kinds, err.decode()[-500:])
