"""Inventory writes at scale: the text append == the round-trip writer, byte for byte.

Differential: every generated layout is written twice, once as `upsert_cameras` does it (text
append where the layout allows it) and once with the round-trip writer only; the bytes must be
equal. Layouts in ruamel's own style must take the fast path (else it is a speed bug); layouts
ruamel rewrites (CRLF, `~`, `True`, odd spacing...) must fall back. Also: the directory lock
still serialises writers in separate processes, and a process killed in the middle of the write
leaves the old file.
"""

from __future__ import annotations

import asyncio
import fcntl
import itertools
import multiprocessing
import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from fleetctl.core.errors import InventoryError
from fleetctl.core.inventory import writer as inventory_writer
from fleetctl.core.inventory.append import append_cameras
from fleetctl.core.inventory.load import load_inventory
from fleetctl.core.inventory.writer import upsert_camera, upsert_cameras
from fleetctl.engine.onboard.writes import write_camera

LOCATIONS = [
    "Chợ Đông Tiến, cổng chính",
    "a: b",
    "x #1",
    "it's",
    'say "hi"',
    "yes",
    "10",
    "true",
    "- dash",
    "[bracket]",
    "null",
]


def _layout(rng: random.Random) -> tuple[str, str, bool]:
    """(inventory text in ruamel's own style, the target site, the fast path must take it).

    Not taken: a comment right after the target site's last camera, or blank lines ending the
    file there (ruamel's placement of those is left to ruamel)."""
    m = rng.choice([2, 4])
    offset = rng.choice([0, 2, m]) if m == 4 else rng.choice([0, 2])
    gap = rng.choice([1, 1, 3])  # spaces after the dash
    out: list[str] = []
    if rng.random() < 0.5:
        out.append("# district inventory — kept by hand")
        if rng.random() < 0.5:
            out.append("")
    if rng.random() < 0.5:
        out.append("defaults: {credentials: district}   # the fleet account")
    elif rng.random() < 0.5:
        out += ["defaults:", f"{' ' * m}credentials: district", f"{' ' * m}port: 80"]
    out.append("sites:" + rng.choice(["", "  # all of them"]))
    sites = [f"{rng.choice(['xa', 'xã', 'dong-tien'])}-{s}" for s in range(rng.randint(1, 3))]
    ind, ind2 = " " * m, " " * (2 * m)
    dash = " " * (2 * m + offset) + "-" + " " * gap
    inner = " " * (2 * m + offset + 1 + gap)
    cam_n = 0
    last_camera_line: list[int] = []  # per site: index in `out` of its last camera's last line
    for s, site in enumerate(sites):
        out.append(f"{ind}{site}:")
        if rng.random() < 0.5:
            out.append(f"{ind2}location: " + rng.choice(["Xã A", "'Xã B'", '"Xã C"']))
        if rng.random() < 0.4:
            out.append(f"{ind2}ranges: [10.20.{s}.0/24, 10.20.9.10-10.20.9.80]")
        elif rng.random() < 0.3:
            out += [f"{ind2}ranges:", f"{dash}10.20.{s}.0/24"]
        if rng.random() < 0.3:
            out.append(f"{ind2}defaults: {{tags: [t{s}, x], port: 81}}")
        out.append(f"{ind2}cameras:" + rng.choice(["", "   # onboarding appends here"]))
        for c in range(rng.randint(1, 3)):
            cam_n += 1
            if c and rng.random() < 0.3:
                out.append(rng.choice(["", f"{inner}# spare", f"{dash[: -gap - 1]}# old camera"]))
            out.append(f"{dash}name: c-{cam_n:03}" + rng.choice(["", "   # cột"]))
            out.append(f"{inner}host: 10.20.{s}.{cam_n}" + rng.choice(["", "", "  # gate"]))
            if rng.random() < 0.5:
                out.append(f"{inner}tags: [{rng.choice(['market', 'school, hik', ''])}]")
            if rng.random() < 0.4:
                loc = rng.choice(["'Chợ, cổng sau'", '"cổng chính"', "plain words here"])
                out.append(f"{inner}location: {loc}")
            if rng.random() < 0.2:
                out.append(
                    f"{inner}ssh: {{port: 22, credentials: nvr}}" + rng.choice(["", " # nvr"])
                )
            if rng.random() < 0.2:
                out.append(f"{inner}https: {rng.choice(['true', 'false'])}")
            if rng.random() < 0.2:
                out.append(f"{inner}port: 8080")
        last_camera_line.append(len(out) - 1)
        for _ in range(rng.choice([0, 0, 1, 1, 2])):  # what follows the last camera
            out.append(
                rng.choice(
                    ["", "", f"{inner}# trailing", f"{ind2}# before the next key", "# col 0"]
                )
            )
        if rng.random() < 0.3:
            out += [f"{ind2}onboard:", f"{ind2}{ind}unique_passwords: true"]
    if rng.random() < 0.3:
        out += ["", "# end of file"]
    if rng.random() < 0.2:
        out.append("")
    target = rng.randrange(len(sites))
    # Fast when nothing, or only blank lines before a line left of the dashes, follows the last
    # camera.
    after = out[last_camera_line[target] + 1 :]
    filler = list(
        itertools.takewhile(lambda ln: not ln.strip() or ln.lstrip().startswith("#"), after)
    )
    following = after[len(filler)] if len(filler) < len(after) else None
    last = out[last_camera_line[target]]
    fast = not filler or (
        all(not ln for ln in filler)
        and following is not None
        and len(following) - len(following.lstrip()) < 2 * m + offset  # left of the dashes
        and not last.endswith(("]", "}"))  # after a bare flow value they go to what follows
    )
    return "\n".join(out) + "\n", sites[target], fast


def _new_cameras(rng: random.Random, k: int, tag: str) -> list[dict[str, Any]]:
    cams = []
    for i in range(k):
        f: dict[str, Any] = {"name": f"new-{tag}-{i}", "host": f"10.99.{i}.{rng.randint(1, 250)}"}
        if rng.random() < 0.5:
            f["tags"] = rng.choice([["a"], ("market", "hik"), []])
        if rng.random() < 0.5:
            f["location"] = rng.choice(LOCATIONS)
        if rng.random() < 0.3:
            f["ssh"] = {"port": 22, "credentials": "nvr"}
        if rng.random() < 0.3:
            f["credentials"] = "onboard-abc"
        if rng.random() < 0.2:
            f["port"] = 8080
        if rng.random() < 0.2:
            f["https"] = rng.random() < 0.5
        if rng.random() < 0.2:
            f["location"] = None  # None on a new camera: nothing written
        cams.append(f)
    return cams


def _both(
    tmp: Path,
    text: str,
    site: str,
    batches: list[list[dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Any, Any]:
    """What each writer leaves (results or error, then the bytes) after the same batches."""
    results = []
    for fast in (True, False):
        monkeypatch.setattr(inventory_writer, "FAST_APPEND", fast)
        path = tmp / ("fast" if fast else "slow") / "inv.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        outcome: list[object] = []
        for batch in batches:
            try:
                outcome.append(upsert_cameras(str(path), site, batch))
            except Exception as err:
                outcome.append(type(err).__name__)
        results.append((outcome, path.read_bytes()))
    monkeypatch.setattr(inventory_writer, "FAST_APPEND", True)
    return results[0], results[1]


def _fast_applies(text: str, site: str, fields: dict[str, Any]) -> bool:
    yaml = inventory_writer._yaml_for(text)
    cam = inventory_writer._mapping(name=fields["name"])
    inventory_writer._apply(cam, fields)
    return append_cameras(text, site, [cam], yaml) is not None


def test_most_generated_layouts_are_fast_path_cases() -> None:
    # Guards the test below against a generator that drifts into testing only fallbacks.
    assert sum(_layout(random.Random(seed))[2] for seed in range(60)) >= 20


@pytest.mark.parametrize("seed", range(60))
def test_generated_layouts_fast_equals_round_trip(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    text, site, fast_path = _layout(rng)
    batches = [_new_cameras(rng, rng.randint(1, 3), f"{seed}-{b}") for b in range(2)]
    # The layout is ruamel's own: the fast path must take it (both batches, one after another).
    assert _fast_applies(text, site, batches[0][0]) is fast_path, text
    fast, slow = _both(tmp_path, text, site, batches, monkeypatch)
    assert fast == slow, f"layout:\n{text}"
    assert fast[0] == [[True] * len(b) for b in batches]
    inv = load_inventory(str(tmp_path / "fast" / "inv.yaml"))
    assert {f["name"] for b in batches for f in b} <= {c.name for c in inv.cameras}


BASE = """\
sites:
  a:
    cameras:
      - name: a1
        host: 10.0.0.1   # gate
        location: plain words
  b:
    cameras:
      - name: b1
        host: 10.0.0.2
"""
UNUSUAL = {
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "tab in a comment": lambda t: t + "#\tend\n",
    "null as ~": lambda t: t.replace("location: plain words", "location: ~"),
    "True": lambda t: t.replace("location: plain words", "https: True"),
    "two spaces after a colon": lambda t: t.replace("location: plain", "location:  plain"),
    "spaced flow list": lambda t: t.replace("location: plain words", "tags: [ a,b ]"),
    "leading blank line": lambda t: "\n" + t,
    "document marker": lambda t: "---\n" + t,
    "no final newline": lambda t: t.rstrip("\n"),
    "trailing spaces": lambda t: t.replace("\n", "   \n", 1),
    "multi-line plain scalar": lambda t: t.replace("plain words", "plain\n          words"),
    "block scalar": lambda t: t.replace("plain words", "|\n          plain words"),
    "escaped double quotes": lambda t: t.replace("plain words", '"caf\\u00e9"'),
    "plus sign": lambda t: t.replace("location: plain words", "port: +8080"),
    "another site indented otherwise": lambda t: t.replace(
        "  b:\n    cameras:\n      - name: b1\n        host:",
        "  b:\n      cameras:\n        - name: b1\n          host:",
    ),
    "a long line": lambda t: t.replace("plain words", "w" * 2100),
    "a comment after the last camera": lambda t: t.replace("words\n", "words\n# note\n"),
}


@pytest.mark.parametrize("how", sorted(UNUSUAL))
def test_layouts_ruamel_rewrites_take_the_round_trip(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = UNUSUAL[how](BASE)
    assert text != BASE
    new = {"name": "a2", "host": "10.0.0.3", "tags": ["x"]}
    assert not _fast_applies(text, "a", new)
    fast, slow = _both(tmp_path, text, "a", [[new]], monkeypatch)
    assert fast == slow


def test_the_example_inventory_fast_equals_round_trip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = Path(__file__).parents[2] / "inventories" / "district.yaml"
    text = example.read_text("utf-8")
    for site in ("dong-tien", "quang-thinh", "hoang-quang", "dong-linh"):
        new = {"name": f"{site}-new", "host": "10.20.9.9", "tags": ["new"], "location": "Cổng"}
        assert _fast_applies(text, site, new), site
        fast, slow = _both(tmp_path / site, text, site, [[new]], monkeypatch)
        assert fast == slow and fast[0] == [[True]]


def test_base_layout_takes_the_fast_path() -> None:
    # The control for the test above: without the change, the fast path is taken.
    assert _fast_applies(BASE, "a", {"name": "a2", "host": "10.0.0.3"})
    assert _fast_applies(BASE, "b", {"name": "b2", "host": "10.0.0.3"})


def test_updates_and_other_cases_go_round_trip() -> None:
    assert not _fast_applies(BASE, "a", {"name": "a1", "host": "10.0.0.9"})  # an update
    assert not _fast_applies(BASE, "a", {"name": "b1", "host": "10.0.0.9"})  # other site's
    assert not _fast_applies(BASE, "c", {"name": "c1", "host": "10.0.0.9"})  # new site
    flow = BASE.replace(
        "  b:\n    cameras:\n      - name: b1\n        host: 10.0.0.2\n", "  b:\n    cameras: []\n"
    )
    assert not _fast_applies(flow, "b", {"name": "b2", "host": "10.0.0.9"})


def test_batch_is_all_or_nothing(tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(BASE)
    good = {"name": "a2", "host": "10.0.0.3"}
    with pytest.raises(InventoryError, match="not a valid IPv4"):
        upsert_cameras(str(path), "a", [good, {"name": "a3", "host": "10.0.0.300"}])
    assert path.read_text() == BASE
    both = upsert_cameras(str(path), "a", [good, {"name": "a1", "host": "10.0.0.1"}])
    assert both == [True, False]
    assert upsert_cameras(str(path), "a", [good]) == [False]  # already there: nothing written


def _add_many(path: str, tag: str, n: int) -> None:
    for i in range(n):
        upsert_camera(path, "a", {"name": f"{tag}-{i}", "host": f"10.1.{len(tag)}.{i + 1}"})


def test_the_lock_serialises_writers_in_two_processes(tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(BASE)
    ctx = multiprocessing.get_context("fork")  # the parent imported fleetctl already
    procs = [ctx.Process(target=_add_many, args=(str(path), tag, 8)) for tag in ("p", "qq")]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    assert [p.exitcode for p in procs] == [0, 0]
    names = {c.name for c in load_inventory(str(path)).cameras}
    assert {f"p-{i}" for i in range(8)} | {f"qq-{i}" for i in range(8)} <= names


KILLED_WRITER = """
import resource, signal, sys
from fleetctl.core.inventory.writer import upsert_camera
path, limit = sys.argv[1], int(sys.argv[2])
# Any write past `limit` bytes raises SIGXFSZ, whose default action kills the process (Python
# ignores it unless told): here, in the middle of writing the temporary file that would have
# replaced the inventory.
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
upsert_camera(path, "a", {"name": "a9", "host": "10.0.0.9", "location": "x" * 4000})  # < value cap
"""


def test_a_kill_during_the_write_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(BASE)
    done = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(path), str(len(BASE) + 100)],
        capture_output=True,
        check=False,
    )
    assert done.returncode == -signal.SIGXFSZ, done.stderr
    assert path.read_text() == BASE  # the old file, whole
    leftovers = [n for n in os.listdir(tmp_path) if n != "inv.yaml"]
    assert all(n.startswith(".inv.yaml.") for n in leftovers)  # hidden: never loaded
    assert upsert_camera(str(path), "a", {"name": "a9", "host": "10.0.0.9"})
    assert resource.getrlimit(resource.RLIMIT_FSIZE)  # (the limit was the child's alone)


async def test_onboarding_writes_concurrent_entries_together_each_with_its_own_outcome(
    tmp_path: Path,
) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(BASE)
    entries = [{"name": f"a{n}", "host": f"10.0.1.{n}"} for n in range(2, 14)]
    entries[5] = {"name": "a7", "host": "10.0.1.300"}  # this one cannot be written
    entries[8] = {"name": "b1", "host": "10.0.2.1"}  # b1 lives in site b
    outcomes = await asyncio.gather(
        *(write_camera(str(path), "a", f) for f in entries), return_exceptions=True
    )
    assert isinstance(outcomes[5], InventoryError) and "not a valid IPv4" in str(outcomes[5])
    assert isinstance(outcomes[8], InventoryError) and "already in site `b`" in str(outcomes[8])
    assert [o for i, o in enumerate(outcomes) if i not in (5, 8)] == [True] * 10
    cams = {c.name: c for c in load_inventory(str(path)).cameras}
    assert {str(f["name"]) for i, f in enumerate(entries) if i not in (5, 8)} <= set(cams)
    assert "a7" not in cams and cams["b1"].site == "b"
    # Again: everything already there, nothing changes.
    before = path.read_bytes()
    again = [f for i, f in enumerate(entries) if i not in (5, 8)]
    assert await asyncio.gather(*(write_camera(str(path), "a", f) for f in again)) == [False] * 10
    assert path.read_bytes() == before


def test_a_hand_edit_between_two_writes_is_kept(tmp_path: Path) -> None:
    # The parse of the last text written is reused only for that very text.
    path = tmp_path / "inv.yaml"
    path.write_text(BASE)
    assert upsert_camera(str(path), "a", {"name": "a2", "host": "10.0.0.3"})
    edited = path.read_text().replace("host: 10.0.0.2\n", "host: 10.0.0.2\n        port: 81\n")
    path.write_text(edited)
    assert upsert_camera(str(path), "a", {"name": "a3", "host": "10.0.0.4"})
    after = path.read_text()
    assert after.startswith(edited.split("  b:\n")[0]) and after.endswith("port: 81\n")
    assert load_inventory(str(path)).camera("b1").port == 81  # type: ignore[union-attr]


WAITING_WRITER = """
import sys
from fleetctl.core.inventory.writer import upsert_camera
upsert_camera(sys.argv[1], "a", {"name": "a-child", "host": "10.0.0.8"})
"""


def _blocked_on_a_lock(pid: int) -> bool:
    # /proc/locks marks a waiter with "->": "1: -> FLOCK  ADVISORY  WRITE <pid> <dev:inode> ..."
    with open("/proc/locks") as fh:
        return any("->" in line and f" {pid} " in line for line in fh)


@pytest.mark.skipif(not os.path.exists("/proc/locks"), reason="needs Linux /proc/locks")
def test_a_writer_waits_for_the_directory_lock_then_reads_the_new_file(tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(BASE)
    held = os.open(tmp_path, os.O_RDONLY)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)  # as another fleetctl in its read-modify-write
        child = subprocess.Popen([sys.executable, "-c", WAITING_WRITER, str(path)])
        while not _blocked_on_a_lock(child.pid):  # the kernel's word that it waits for us
            assert child.poll() is None, "the writer did not wait for the lock"
            time.sleep(0.01)  # poll interval (the child is importing), not a readiness guess
        edited = BASE + "  c:\n    cameras:\n      - name: c1\n        host: 10.0.0.9\n"
        path.write_text(edited)  # what the lock holder writes
    finally:
        os.close(held)  # releases the lock
    assert child.wait(timeout=120) == 0
    names = {c.name for c in load_inventory(str(path)).cameras}
    assert {"a1", "b1", "c1", "a-child"} <= names  # the child read the holder's file
