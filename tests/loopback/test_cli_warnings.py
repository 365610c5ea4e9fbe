"""A user sees fleetctl's own output, never a library's deprecation warnings.

With cryptography 51, importing asyncssh warns ten times that DSA is deprecated. The installed
command filters libraries' deprecation warnings before its heavy imports; the test suite, which
calls ``main()`` in-process, keeps seeing every warning.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from fleetctl.cli.main import main, quiet_library_warnings
from fleetctl.sim.fleet import SimFleet

SCRIPT = Path(sys.executable).with_name("fleetctl")  # what `pip install` put on the PATH


async def _run(cmd: list[str], home: Path, **env: str) -> tuple[int, str]:
    environ = {**os.environ, "XDG_DATA_HOME": str(home / "data"), **env}
    environ.pop("PYTHONWARNINGS", None)  # exactly what a user's shell has
    environ.update(env)
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        env=environ,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, err.decode(errors="replace")


@pytest.mark.parametrize(
    "command",
    [[str(SCRIPT)], [sys.executable, "-m", "fleetctl"]],
    ids=["console-script", "python-m"],
)
async def test_check_prints_no_library_warning(command: list[str], tmp_path: Path) -> None:
    if not SCRIPT.exists() and command[0] == str(SCRIPT):
        pytest.skip(f"no console script at {SCRIPT}")
    # A recorder makes the check speak SSH: asyncssh is imported, as on a real district.
    async with SimFleet(cameras=3, recorders=1, faults="none", seed=5, discovery=False) as fleet:
        inv, _ = fleet.write_inventory(tmp_path / "sim.yaml")
        check = [*command, "check", "-i", str(inv), "--timeout", "5", "--window", "0.3"]
        code, err = await _run(check, tmp_path)
        assert code in (0, 1), err
        assert "Warning" not in err, err
        # -v is fleetctl's own account; asyncssh's per-channel INFO lines stay out of it.
        code, verbose = await _run([*command, "-v", *check[len(command) :]], tmp_path)
        assert "INFO fleetctl" in verbose and "asyncssh" not in verbose, verbose
        # The filter is ours, not a pinned library: asked for, the warnings are still there.
        code, loud = await _run(check, tmp_path, PYTHONWARNINGS="default")
        assert "DeprecationWarning" in loud, loud


def test_main_in_process_leaves_warnings_visible() -> None:
    """The suite calls main() directly; it must not silence warnings for the tests after it."""
    before = list(warnings.filters)
    main(["inventory", "lint", "-i", os.devnull])
    assert warnings.filters == before
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("default")
        warnings.warn_explicit("x is deprecated", DeprecationWarning, "lib.py", 1, module="lib")
    assert seen, "a library's deprecation warning reaches the test suite"


def test_quiet_hides_library_deprecations_but_not_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "warnoptions", [])
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        quiet_library_warnings()
        warnings.warn_explicit("DSA is deprecated", UserWarning, "misc.py", 32, module="asyncssh")
        warnings.warn_explicit("old", DeprecationWarning, "x.py", 1, module="zeep.wsdl")
        warnings.warn_explicit("old", DeprecationWarning, "y.py", 1, module="fleetctl.core")
        warnings.warn_explicit("unclosed session", UserWarning, "z.py", 1, module="aiohttp")
    assert [str(w.message) for w in seen] == ["old", "unclosed session"]
    assert seen[0].filename == "y.py"


def test_quiet_respects_an_explicit_w_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "warnoptions", ["default"])
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        quiet_library_warnings()
        warnings.warn_explicit("DSA is deprecated", UserWarning, "misc.py", 32, module="asyncssh")
    assert len(seen) == 1
