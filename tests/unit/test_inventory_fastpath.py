"""The inventory fast path (C parser) reads exactly what the round-trip loader reads.

Differential: every inventory of the repository, the fixtures of the other inventory tests and
documents full of YAML traps load to an equal Inventory with equal issues both ways; where the
fast parser takes a document, its values and every line/column equal the round-trip loader's.
"""

from __future__ import annotations

import datetime
import gc
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_inventory_load import INHERIT

from fleetctl.core.errors import InventoryError
from fleetctl.core.inventory import fastyaml
from fleetctl.core.inventory.load import (
    camera_origins,
    check_documents,
    inventory_files,
    load_documents,
)

REPO = Path(__file__).parents[2]
DATA = Path(__file__).parents[1] / "data" / "inventories"

pytestmark = pytest.mark.skipif(not fastyaml.available(), reason="no ruamel.yaml.clib")

# Valid, and full of traps: YAML 1.1 words and octals, sexagesimals, hex, underscores, dates in
# strings, Vietnamese, tabs, comments, flow and block styles, block scalars, escapes, empty sites.
TRICKY = """\
---
# every value here must read the same through libyaml and ruamel's pure-Python scanner
policy: {clock_warn_s: 1_0, slow_s: 0x1F, flap_checks: 010}
defaults:
  credentials: district   # YAML 1.2: 1_0 is 10, 010 is 10, 0x1F is 31
  port: 010               # YAML 1.2: decimal 10 (YAML 1.1 read octal 8)
  tags: [on, off, yes, no, y, n]
sites:
  on:                      # a site named "on" (YAML 1.1: the boolean true)
    location: yes
    ranges: [10.0.0.0/30, 10.0.1.1-10.0.1.9, "10.0.2.*"]
    cameras:
      - {name: yes, host: 10.0.0.1, location: "1:30", port: 0x50}
      - name: "010"
        host: 10.0.0.2
        location: "2026-11-28"
        https: true
        tags:
          - "010"
          - NO

      - name: đình-làng
        host: cam-1.example.vn.
        tags: [đình, "yes"]
        ssh: {port: 22, key_file: ~/.ssh/nvr}
        location: Chợ Đông Tiến, cổng chính
        rtsp_url: rtsp://10.0.0.3:554/Streaming/Channels/101
        onvif: false
      - name: tab-in-string
        host: 10.0.0.4
        location: "a\\tb \\u0110\\u00ecnh"   # escapes: a tab, Vietnamese
  "quảng-thịnh":
    defaults: {port: 8_080, https: false, ssh: {port: 2_222}}
    policy:
      clock_crit_s: 3e2
      stream_min_ratio: .5
      storage_full_warn: false
    cameras:
      - name: qt-1
        host: 10.0.3.1
        location: >
          folded
          text
        ssh: true
      - name: qt-2
        host: ::1
        location: |
          literal
            text
        mac: 44-19-B6-0A-1B-2C
        serial: "0123"
  empty-site:
  no-cameras: {ranges: []}
  ? explicit-key
  : cameras: [{name: ek, host: 10.0.4.1}]
...
"""

# Each of these goes through the round-trip loader on the fast path too (issues, or YAML the fast
# parser leaves alone); the result must still be the same.
ODD = {
    "anchors-aliases.yaml": (
        "defaults: &d {credentials: district, tags: &t [a, b]}\n"
        "sites:\n  s:\n    defaults: *d\n    cameras:\n"
        "      - {name: a, host: 10.0.0.1, tags: *t}\n"
        "      - {name: b, host: 10.0.0.2, https: &h true}\n"
    ),
    "merge-key.yaml": (
        "sites:\n  s:\n    cameras:\n      - &base {name: a, host: 10.0.0.1, port: 81}\n"
        "      - {<<: *base, name: b, host: 10.0.0.2}\n"
    ),
    "yaml11-directive.yaml": "%YAML 1.1\n---\nsites:\n  s:\n    cameras: [{name: a, host: 10.0.0.1, onvif: on}]\n",
    "explicit-tag.yaml": "sites:\n  s:\n    cameras: [{name: !!str 010, host: 10.0.0.1, port: !!int 81}]\n",
    "duplicate-key.yaml": "sites:\n  s:\n    cameras:\n      - name: a\n        host: 10.0.0.1\n        name: b\n",
    "tab-indent.yaml": "sites:\n  s:\n    cameras:\n      - name: x\n\thost: y\n",
    # libyaml takes a tab before a comment, ruamel refuses it: still an error with its line.
    "tab-before-comment.yaml": "sites:\n  s:\n    cameras: [{name: a, host: 10.0.0.1}]\t# c\n",
    "tab-in-string.yaml": 'sites:\n  s:\n    location: "a\tb"\n    cameras: [{name: a, host: 10.0.0.1}]\n',
    # libyaml refuses `:` in a plain scalar inside flow style, ruamel takes it (YAML 1.2).
    "colon-in-flow.yaml": "sites:\n  s: {cameras: [{name: a, host: 10.0.0.1, location: 1:30}]}\n",
    "impossible-date.yaml": "sites:\n  s:\n    location: 2026-02-30\n",
    "int-without-digits.yaml": "defaults: {port: -_}\n",
    "complex-key.yaml": "sites:\n  s:\n    cameras:\n    ? - name: a\n",
    "dates.yaml": (
        "sites:\n  s:\n    location: 2026-11-28\n    cameras:\n"
        "      - name: a\n        host: 10.0.0.1\n        location: 2026-11-28 07:00:00\n"
    ),
    "wrong-types.yaml": (
        "defaults: {port: yes, https: on}\nsites:\n  s:\n    cameras:\n"
        "      - name: a\n        host: 10.0.0.1\n        port: 1:30\n        tags: market\n"
        "      - {name: 'b', host: 10.0.0.1, password: 0123, hostt: x}\n"
    ),
    "numeric-site-names.yaml": "sites:\n  2026:\n    cameras: [{name: a, host: 10.0.0.1}]\n  1.50: {}\n  0x1F: {}\n",
    "unusual-chars.yaml": 'sites:\n  s:\n    location: "a\u2028b\x85c"\n    cameras: [{name: a, host: 10.0.0.1}]\n',
    "inline-password.yaml": "sites:\n  s:\n    cameras: [{name: a, host: 10.0.0.1, username: u, password: 'p'}]\n",
    "not-a-mapping.yaml": "- just\n- a list\n",
    "empty.yaml": "# nothing yet\n",
    "unclosed.yaml": "sites: {s: {cameras: [{name: a, host: 10.0.0.1}\n",
}


def _corpus() -> dict[str, list[tuple[str, str | bytes]]]:
    """Name -> the documents of one load (a folder is one load of several files)."""
    out: dict[str, list[tuple[str, str | bytes]]] = {
        "inventories/": [
            (f, Path(f).read_bytes()) for f in inventory_files(str(REPO / "inventories"))
        ],
        "broken/": [(f, Path(f).read_bytes()) for f in inventory_files(str(DATA / "broken"))],
        "inherit": [("inv.yaml", INHERIT)],
        "tricky": [("tricky.yaml", TRICKY)],
        "tricky-crlf-bom": [
            ("tricky.yaml", b"\xef\xbb\xbf" + TRICKY.replace("\n", "\r\n").encode())
        ],
        "latin1": [("f.yaml", b'sites:\n  a:\n    location: "Ch\xf4"\n')],
        "two-files-one-bad": [("a.yaml", TRICKY), ("b.yaml", ODD["wrong-types.yaml"])],
        "duplicates-across-files": [("a.yaml", INHERIT), ("b.yaml", INHERIT)],
    }
    for name, text in ODD.items():
        out[name] = [(name, text)]
    return out


CORPUS = _corpus()


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_fast_and_round_trip_loads_are_equal(name: str) -> None:
    docs = CORPUS[name]
    fast_inventory, fast_issues = check_documents(docs)
    rt_inventory, rt_issues = check_documents(docs, fast=False)
    assert fast_issues == rt_issues
    assert fast_inventory == rt_inventory
    assert gc.isenabled()


def test_the_corpus_exercises_both_paths() -> None:
    """Guards the differential test: a parser that always gave up would pass it vacuously."""
    inventory, issues = check_documents(CORPUS["tricky"])
    assert issues == [] and inventory is not None and len(inventory.cameras) == 7
    cam = inventory.camera("yes")
    assert cam is not None and (cam.site, cam.port, cam.location) == ("on", 80, "1:30")
    assert cam.tags == ("on", "off", "yes", "no", "y", "n")
    assert inventory.camera("010") is not None  # a quoted name stays a string
    assert inventory.camera("qt-2").serial == "0123"  # type: ignore[union-attr]
    assert [s.name for s in inventory.sites] == [
        "on",
        "quảng-thịnh",
        "empty-site",
        "no-cameras",
        "explicit-key",
    ]
    fastyaml.parse_fast(TRICKY)  # taken by the fast parser, not handed over
    takes = {n: _fast_takes(t) for n, t in ODD.items()}
    assert {n for n, ok in takes.items() if ok} == {
        "wrong-types.yaml",
        "dates.yaml",
        "inline-password.yaml",
        "not-a-mapping.yaml",
        "empty.yaml",
    }, "which documents the fast parser reads itself (the rest it hands to ruamel)"


# Small edits that break YAML in the ways people do (a lost space, a stray colon or bracket, a
# CR, a tab): both paths must still agree, on the inventory and on every issue.
_EDITS = st.sampled_from(
    [
        " ",
        ":",
        ": ",
        "- ",
        "\n",
        "[",
        "]",
        "{",
        "}",
        ",",
        "#",
        '"',
        "'",
        "?",
        "|",
        ">",
        "\r",
        "\t",
        "~",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from([INHERIT, TRICKY, *ODD.values()]),
    edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 2), _EDITS), min_size=1, max_size=3),
)
def test_mangled_documents_agree(seed: str, edits: list[tuple[float, int, str]]) -> None:
    text = seed
    for where, drop, insert in edits:
        at = int(where * len(text))
        text = text[:at] + insert + text[at + drop :]
    docs: list[tuple[str, str | bytes]] = [("m.yaml", text)]
    assert check_documents(docs) == check_documents(docs, fast=False)


def _fast_takes(text: str) -> bool:
    try:
        fastyaml.parse_fast(text)
    except fastyaml.FastPathUnavailable:
        return False
    return True


@pytest.mark.parametrize(
    "text",
    [
        TRICKY,
        INHERIT,
        *(Path(f).read_text("utf-8") for f in inventory_files(str(REPO / "inventories"))),
    ],
    ids=["tricky", "inherit", *(Path(f).name for f in inventory_files(str(REPO / "inventories")))],
)
def test_fast_documents_equal_round_trip_values_and_positions(text: str) -> None:
    from ruamel.yaml import YAML

    _same(fastyaml.parse_fast(text), YAML(typ="rt").load(text), "")


def _same(fast: Any, rt: Any, path: str) -> None:
    """Equal values, same container kinds and key order, and the same line/column everywhere."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(rt, CommentedMap):
        assert isinstance(fast, fastyaml.LinedDict), path
        assert list(fast) == list(rt), path
        assert (fast.lc.line, fast.lc.col) == (rt.lc.line, rt.lc.col), path
        for k in rt:
            assert fast.lc.key(k) == tuple(rt.lc.key(k)), f"{path}.{k}"
            _same(fast[k], rt[k], f"{path}.{k}")
    elif isinstance(rt, CommentedSeq):
        assert isinstance(fast, fastyaml.LinedList) and len(fast) == len(rt), path
        assert (fast.lc.line, fast.lc.col) == (rt.lc.line, rt.lc.col), path
        for i, (f, r) in enumerate(zip(fast, rt, strict=True)):
            assert fast.lc.item(i) == tuple(rt.lc.item(i)), f"{path}[{i}]"
            _same(f, r, f"{path}[{i}]")
    elif isinstance(rt, float) and math.isnan(rt):
        assert isinstance(fast, float) and math.isnan(fast), path
    else:
        # ruamel's round-trip scalars are subclasses (ScalarInt, ScalarFloat, ...): compare values
        # and the base type the schema checks (bool is not int there).
        assert fast == rt and isinstance(fast, bool) == isinstance(rt, bool), path
        assert isinstance(fast, str) == isinstance(rt, str), path


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("a: 010", 10),
        ("a: 0o17", 15),
        ("a: 0x1F", 31),
        ("a: 1_000", 1000),
        ("a: on", "on"),
        ("a: yes", "yes"),
        ("a: 1:30", "1:30"),
        ("a: 1e3", 1000.0),
        ("a: .inf", math.inf),
        ("a: ~", None),
        ("a: True", True),
        ("a: '010'", "010"),
        ("a: 2026-11-28", datetime.date(2026, 11, 28)),
        ("a: Chợ Đông Tiến", "Chợ Đông Tiến"),
        ("a: x & y", "x & y"),  # not an anchor: stays on the fast path
        ("a: wow!", "wow!"),  # not a tag
        ("a: 50%", "50%"),  # not a directive
    ],
)
def test_scalars_read_as_yaml_1_2_like_the_round_trip_loader(text: str, value: Any) -> None:
    from ruamel.yaml import YAML

    fast, rt = fastyaml.parse_fast(text)["a"], YAML(typ="rt").load(text)["a"]
    assert fast == rt == value and type(fast) is type(value)


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",  # anchors: the rt loader types anchored scalars differently
        "a: &x [*x]\n",  # recursive
        "a: {<<: {b: 1}}\n",
        "%YAML 1.1\n---\na: on\n",
        "a: !!str 010\n",
        "a: 1\na: 2\n",
        "? [a, b]\n: c\n",
        "1: a\n",
        "a: [1\n",
        "a: \x85\n",
        "a: b\tc\x07\n",
    ],
    ids=[
        "anchor-and-alias",
        "recursive-alias",
        "merge-key",
        "yaml-1.1-directive",
        "explicit-tag",
        "duplicate-key",
        "complex-key",
        "integer-key",
        "unclosed-flow",
        "nel-character",
        "control-character",
    ],
)
def test_what_the_fast_parser_hands_over(text: str) -> None:
    with pytest.raises(fastyaml.FastPathUnavailable):
        fastyaml.parse_fast(text)


def test_a_broken_big_file_still_gets_its_lines() -> None:
    """One mistake deep in a fleet: the fast parse succeeds, the reread gives every line."""
    lines = ["defaults: {credentials: district}", "sites:", "  s:", "    cameras:"]
    for n in range(300):
        lines += [f"      - name: cam-{n}", f"        host: 10.0.{n // 250}.{n % 250 + 1}"]
    lines[4 + 2 * 200 + 1] = "        hostt: 10.9.9.9"  # line 406: a typo
    lines.append("      - {name: cam-0, host: 10.9.9.8}")  # line 605: a duplicate name
    text = "\n".join(lines) + "\n"
    fastyaml.parse_fast(text)  # the fast parser takes it: the issues come from the build
    with pytest.raises(InventoryError) as info:
        load_documents([("fleet.yaml", text)])
    got = [(i.line, i.key, i.message) for i in info.value.issues]
    assert got == [
        (405, "sites.s.cameras[200]", "missing required key `host`"),
        (406, "sites.s.cameras[200].hostt", "unknown key (did you mean `host`?)"),
        (605, "sites.s.cameras[300].name", "duplicate camera name `cam-0` (first at fleet.yaml:5)"),
    ]
    assert gc.isenabled()


def test_sources_and_origins_keep_their_lines() -> None:
    inventory, _ = check_documents([("inv.yaml", INHERIT)])
    assert inventory is not None
    assert [(c.name, c.source.line if c.source else None) for c in inventory.cameras] == [
        ("a", 11),
        ("b", 16),
        ("c", 26),
    ]
    assert [s.source.line if s.source else None for s in inventory.sites] == [7, 24]


def test_origins_are_computed_for_show_only(tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(INHERIT, "utf-8")
    origins = camera_origins(str(path), "c")
    assert origins["port"] == f"camera ({path}:26)"
    assert origins["tags"].startswith(f"defaults ({path}:4)")


def test_a_simulated_fleet_inventory_takes_the_fast_path_and_agrees() -> None:
    """What `fleetctl sim` writes (and the check benchmark loads): ruamel's own dump style."""
    from fleetctl.sim.fleet import SimFleet
    from fleetctl.sim.inventory import build, dump

    fleet = SimFleet(cameras=60, faults="realistic", seed=4, discovery=False)
    text = dump(build(fleet, "sim-secrets.yaml"))
    fastyaml.parse_fast(text)  # not handed over to the round-trip loader
    docs: list[tuple[str, str | bytes]] = [("sim.yaml", text)]
    inventory, issues = check_documents(docs)
    assert inventory is not None and len(inventory.cameras) >= 50 and issues == []
    assert (inventory, issues) == check_documents(docs, fast=False)


def test_without_the_c_extension_the_round_trip_path_runs_silently(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PyPy or a platform without the ruamel.yaml.clib wheel: the loader as it always was."""
    monkeypatch.setattr(fastyaml, "_loader_class", False)  # what _make_loader_class gives then
    assert not fastyaml.available()
    with pytest.raises(fastyaml.FastPathUnavailable):
        fastyaml.parse_fast(INHERIT)
    docs: list[tuple[str, str | bytes]] = [("inv.yaml", INHERIT)]
    inventory, issues = check_documents(docs)
    assert inventory is not None and [c.name for c in inventory.cameras] == ["a", "b", "c"]
    assert [(i.line, i.key) for i in issues] == [(23, "sites.dong-tien.cameras[1].password")]
