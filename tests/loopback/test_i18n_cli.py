"""fleetctl in Vietnamese as a user runs it: a subprocess against the simulator.

- ``--lang vi`` (before or after the command), ``FLEETCTL_LANG`` and ``LANG=vi_VN.UTF-8``
  choose Vietnamese; ``--lang en`` wins over the environment;
- the check's table, summary and every ``--help`` read in Vietnamese: scanned for English words
  that would mean a string escaped marking;
- ``check --format json`` is the same document in both languages (messages in English).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path

from support.check_schema import check_report_json
from support.english import english_words

from fleetctl.base.i18n import set_language
from fleetctl.cli.main import COMMANDS
from fleetctl.cli.render.check import report_json
from fleetctl.core.models import FleetReport
from fleetctl.engine.check.runner import CheckOptions, check_cameras
from fleetctl.engine.workspace import load_workspace
from fleetctl.sim.fleet import SimFleet

FAULTS = "offline=1,wrong_credentials=1,frozen=1,storage_failed=1,clock_drift=1,factory_password=1"
FAST = ("--timeout", "5", "--window", "0.3", "--no-history")


async def fleetctl(
    *args: str, home: Path, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    base = dict(os.environ, XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"))
    base.pop("FLEETCTL_SECRETS", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fleetctl",
        *args,
        env=env if env is not None else base,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FLEETCTL_LANG", "LANGUAGE", "LC_ALL")}
    env.update(XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"), **extra)
    env.pop("FLEETCTL_SECRETS", None)
    return env


async def test_language_is_chosen_by_flag_then_fleetctl_lang_then_locale(tmp_path: Path) -> None:
    cases = [
        (("--lang", "vi", "check", "--help"), clean_env(tmp_path, LANG="C.UTF-8"), "vi"),
        (("check", "--help", "--lang", "vi"), clean_env(tmp_path, LANG="C.UTF-8"), "vi"),
        (("check", "--help"), clean_env(tmp_path, LANG="vi_VN.UTF-8"), "vi"),
        (("check", "--help"), clean_env(tmp_path, LANG="C.UTF-8", FLEETCTL_LANG="vi"), "vi"),
        (("check", "--help"), clean_env(tmp_path, LANG="vi_VN.UTF-8", FLEETCTL_LANG="en"), "en"),
        (("--lang", "en", "check", "--help"), clean_env(tmp_path, LANG="vi_VN.UTF-8"), "en"),
        (("check", "--help"), clean_env(tmp_path, LANG="C.UTF-8"), "en"),
    ]
    for args, env, lang in cases:
        code, out, err = await fleetctl(*args, home=tmp_path, env=env)
        assert code == 0, err
        vietnamese = out.startswith("cách dùng: fleetctl check") and "tùy chọn:" in out
        english = out.startswith("usage: fleetctl check") and "options:" in out
        assert (vietnamese, english) == (lang == "vi", lang == "en"), (args, out[:200])


async def test_every_help_reads_in_vietnamese(tmp_path: Path) -> None:
    helps = [("--lang", "vi", "--help")] + [("--lang", "vi", c, "--help") for c in COMMANDS]
    for args in helps:
        code, out, err = await fleetctl(*args, home=tmp_path)
        assert code == 0, err
        assert out.startswith("cách dùng: "), out[:100]
        assert english_words(out) == [], (args, english_words(out))


async def test_check_in_vietnamese_reads_vietnamese_and_json_stays_english(
    tmp_path: Path,
) -> None:
    async with SimFleet(cameras=8, faults=FAULTS, seed=5, discovery=False) as fleet:
        inv, _ = fleet.write_inventory(tmp_path / "sim.yaml")
        # The cameras with the faults above (an Axis camera's stock firmware may match a
        # published advisory: its summary is the advisory's own text, quoted as data).
        axis = {c.name for c in fleet.cameras if c.vendor == "axis"}
        chosen = "name:" + ",".join(sorted(set(fleet.injected) - axis))
        code, out, err = await fleetctl(
            "--lang", "vi", "check", "-i", str(inv), "-s", chosen, *FAST, home=tmp_path
        )
        assert code == 2, err
        assert "mất kết nối" in out and "camera:" in out and "lỗi" in out
        assert english_words(out) == [], english_words(out)

        code, out, err = await fleetctl(
            "check", "--lang", "vi", "-i", str(inv), "-f", "json", *FAST, home=tmp_path
        )
        assert code == 2, err
        doc = check_report_json(out)
        messages = [p["message"] for c in doc["cameras"] for p in c["problems"]]
        details = [s["detail"] for c in doc["cameras"] for s in c["checks"]]
        assert messages and all(m.isascii() for m in messages + details), messages + details
        assert any(m.startswith("offline: ") for m in messages)


async def test_json_is_the_same_document_in_vietnamese_and_english(tmp_path: Path) -> None:
    """One real check, rendered in both languages: byte for byte the same JSON."""
    async with SimFleet(cameras=8, faults=FAULTS, seed=5, discovery=False) as fleet:
        inv, _ = fleet.write_inventory(tmp_path / "sim.yaml")
        ws = load_workspace(str(inv), None)
        opts = CheckOptions(timeout_s=5.0, stream_window_s=0.3)
        report: FleetReport = await check_cameras(list(ws.inventory.cameras), ws, opts)
    set_language("en")
    english = json.dumps(report_json(report), ensure_ascii=False)
    set_language("vi")
    vietnamese = json.dumps(report_json(report), ensure_ascii=False)
    assert vietnamese == english
    assert any(p.text() != p.message for c in report.cameras for p in c.problems)


async def test_inventory_lint_in_vietnamese_keeps_each_file_line_and_key(tmp_path: Path) -> None:
    broken = str(Path(__file__).parents[1] / "data" / "inventories" / "broken")
    issue = re.compile(r"^(?P<where>[^:]+\.yaml:\d+: \S+): (?P<message>.+)$")
    runs = {}
    for lang in ("en", "vi"):
        code, out, err = await fleetctl(
            "--lang", lang, "inventory", "lint", "-i", broken, home=tmp_path
        )
        assert code == 65, err
        runs[lang] = [issue.match(line) for line in out.splitlines()]
        assert runs[lang] and all(runs[lang]), out
    en, vi = runs["en"], runs["vi"]
    assert [m["where"] for m in vi if m] == [m["where"] for m in en if m]
    pairs = [(e["message"], v["message"]) for e, v in zip(en, vi, strict=True) if e and v]
    assert all(e != v for e, v in pairs), [e for e, v in pairs if e == v]
    shown = "\n".join(v for _, v in pairs)
    assert "phải là số >= 0, không phải 'soon'" in shown
    assert "khóa lạ (có phải ý bạn là `sites`?)" in shown
    assert "cảnh báo: trùng địa chỉ 10.20.1.23:80 với `dt-dup`" in shown
    assert english_words(shown) == [], english_words(shown)
