"""Inventory loader: every planted mistake reported with file:line and key; inheritance; UTF-8."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetctl.core.errors import InventoryError
from fleetctl.core.inventory.load import (
    check_documents,
    lint_inventory,
    load_documents,
    load_inventory,
    load_inventory_with_warnings,
)
from fleetctl.core.secret import Secret

DATA = Path(__file__).parents[1] / "data" / "inventories"
REPO = Path(__file__).parents[2]
_MARK = re.compile(r"#\s*(EXPECT|WARN)\s+(\S+)\s*\|\s*(.+?)\s*$")


def _planted(folder: Path) -> list[tuple[str, str, int, str, str]]:
    """(severity, file name, line, key, text) from the `# EXPECT key | text` markers."""
    out = []
    for file in sorted(folder.glob("*.yaml")):
        for n, line in enumerate(file.read_text("utf-8").splitlines(), 1):
            m = _MARK.search(line)
            if m and not line.lstrip().startswith("#"):
                severity = "error" if m.group(1) == "EXPECT" else "warning"
                key = "" if m.group(2) == "(file)" else m.group(2)
                out.append((severity, file.name, n, key, m.group(3)))
    return out


def test_every_planted_mistake_is_reported_with_file_line_and_key() -> None:
    planted = _planted(DATA / "broken")
    assert len({text for *_, text in planted}) >= 10  # many kinds of mistakes, not one ten times
    inventory, issues = lint_inventory(str(DATA / "broken"))
    assert inventory is None
    got = [(i.severity, os.path.basename(i.file), i.line, i.key, i.message) for i in issues]
    for severity, name, line, key, text in planted:
        hits = [g for g in got if g[:4] == (severity, name, line, key) and text in g[4]]
        assert hits, f"not reported: {name}:{line}: {key}: {text}\n" + "\n".join(map(str, issues))
    # Nothing reported that was not planted: each issue matches exactly one marker.
    assert len(got) == len(planted), "\n".join(map(str, issues))


def test_load_inventory_raises_one_error_listing_all() -> None:
    with pytest.raises(InventoryError) as info:
        load_inventory(str(DATA / "broken"))
    errors = [p for p in _planted(DATA / "broken") if p[0] == "error"]
    assert len(info.value.issues) == len(errors)
    text = str(info.value)
    assert "a-main.yaml:23: sites.dong-tien.cameras[1].host:" in text
    assert "canary-ish" not in text  # the planted rtsp_url password is never echoed


def test_example_district_lints_clean() -> None:
    inventory, issues = lint_inventory(str(REPO / "inventories"))
    assert issues == [] and inventory is not None
    assert len(inventory.cameras) >= 18 and len(inventory.sites) >= 3
    rtsp_only = [c for c in inventory.cameras if not c.onvif]
    assert rtsp_only and all(c.rtsp_url for c in rtsp_only)
    assert any(c.ssh is not None for c in inventory.cameras)
    assert inventory.camera("dt-cho-01").location == "Chợ Đông Tiến, cổng chính"  # type: ignore[union-attr]


INHERIT = """\
policy: {clock_warn_s: 10}
defaults:
  credentials: district
  tags: [district]
  ssh: {port: 2222}
sites:
  dong-tien:
    policy: {slow_s: 4}
    defaults: {credentials: dt, tags: [dt], policy: {clock_crit_s: 100}}
    cameras:
      - name: a
        host: 10.20.1.11
        tags: [market, dt]
        policy: {clock_warn_s: 5}
        ssh: {credentials: nvr}
      - name: b
        host: cam-b.example
        endpoint: urn:uuid:2419d68a-2dd2-21b2-a205-44190a1b2c3d
        serial: DS-2CD2143G2-I
        mac: 4419B60A1B2C
        https: true
        username: admin
        password: "inline-pw"
  quang-thinh:
    cameras:
      - {name: c, host: 10.20.3.1, port: 8080, https: true}
"""


def test_inheritance_defaults_then_site_then_camera() -> None:
    inv, warnings = load_documents([("inv.yaml", INHERIT)])
    a, b, c = (inv.camera(n) for n in "abc")
    assert a is not None and b is not None and c is not None
    assert a.credentials == "dt" and c.credentials == "district"
    assert a.tags == ("district", "dt", "market")  # union, first-seen order, no duplicates
    assert (a.policy.clock_warn_s, a.policy.clock_crit_s, a.policy.slow_s) == (5.0, 100.0, 4.0)
    assert (c.policy.clock_warn_s, c.policy.clock_crit_s, c.policy.slow_s) == (10.0, 300.0, 2.0)
    assert a.ssh is not None and (a.ssh.port, a.ssh.credentials) == (2222, "nvr")
    assert b.port == 443 and c.port == 8080  # https without a port means 443
    assert (b.endpoint, b.serial, b.mac) == (
        "urn:uuid:2419d68a-2dd2-21b2-a205-44190a1b2c3d",
        "DS-2CD2143G2-I",
        "44:19:b6:0a:1b:2c",  # normalized: discover compares MACs as text
    )
    assert b.password == Secret("inline-pw") and "inline-pw" not in repr(b)
    assert [(w.key, w.line) for w in warnings] == [("sites.dong-tien.cameras[1].password", 23)]
    assert a.source is not None and (a.source.file, a.source.line) == ("inv.yaml", 11)


def test_folder_loads_sorted_skips_its_secrets_file_and_resolves_secrets(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("sites: {s2: {cameras: [{name: y, host: 10.0.0.2}]}}\n")
    (tmp_path / "a.yaml").write_text(
        "secrets: fleet-secrets.yaml\nsites: {s1: {cameras: [{name: x, host: 10.0.0.1}]}}\n"
    )
    (tmp_path / "fleet-secrets.yaml").write_text("district: {username: admin, password: pw}\n")
    (tmp_path / "notes.txt").write_text("not yaml")
    inv, _ = load_inventory_with_warnings(str(tmp_path))
    assert [c.name for c in inv.cameras] == ["x", "y"]
    assert [os.path.basename(f) for f in inv.files] == ["a.yaml", "b.yaml"]
    assert inv.secrets_path == str(tmp_path / "fleet-secrets.yaml")


def test_vietnamese_text_round_trips(tmp_path: Path) -> None:
    location = "Đình làng Quảng Thịnh, ngõ 3 – cổng “Hậu”"
    path = tmp_path / "vi.yaml"
    path.write_text(
        f'sites:\n  quảng-thịnh:\n    cameras:\n      - {{name: qt-đình, host: 10.0.0.1, location: "{location}"}}\n',
        "utf-8",
    )
    inv = load_inventory(str(path))
    cam = inv.cameras[0]
    assert (cam.name, cam.site, cam.location) == ("qt-đình", "quảng-thịnh", location)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            b'sites:\n  a:\n    location: "Ch\xf4"\n',
            3,
            "not UTF-8",
        ),  # Latin-1 saved by a Windows editor
        (b"- just\n- a list\n", 1, "must be a mapping"),
        (b"sites:\n  a:\n    cameras:\n      - name: x\n\thost: y\n", 5, "YAML syntax error"),
        (b"secrets: [a]\n", 1, "non-empty string"),
    ],
    ids=["latin-1", "a-list", "tab-indent", "secrets-not-a-path"],
)
def test_file_level_problems(text: bytes, line: int, message: str) -> None:
    with pytest.raises(InventoryError) as info:
        load_documents([("f.yaml", text)])
    (issue,) = info.value.issues
    assert issue.line == line and message in issue.message


def test_conflicting_secrets_across_files() -> None:
    with pytest.raises(InventoryError, match="conflicts with `secrets:`"):
        load_documents([("a.yaml", "secrets: one.yaml\n"), ("b.yaml", "secrets: two.yaml\n")])


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_inventory(str(tmp_path / "nope.yaml"))
    with pytest.raises(InventoryError, match=r"no \*\.yaml"):
        load_inventory(str(tmp_path))


def test_empty_file_is_an_empty_inventory() -> None:
    inv, warnings = load_documents([("empty.yaml", "# nothing yet\n")])
    assert inv.cameras == () and warnings == ()


# ---------------------------------------------------------------- robustness

_KEYS = st.sampled_from(
    [
        "defaults",
        "sites",
        "secrets",
        "policy",
        "cameras",
        "ranges",
        "location",
        "name",
        "host",
        "port",
        "https",
        "tags",
        "onvif",
        "rtsp_url",
        "ssh",
        "password",
        "credentials",
        "slow_s",
        "dong-tien",
        "x",
    ]
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 70000),
    st.floats(allow_nan=False),
    st.sampled_from(["10.20.1.1", "10.0.0.0/24", "a-b", "rtsp://h/s", "cam.local", "", "Chợ"]),
)
_TREES = st.recursive(
    _SCALARS,
    lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(_KEYS, kids, max_size=5)),
    max_leaves=25,
)


@settings(max_examples=50, deadline=None)
@given(tree=st.dictionaries(_KEYS, _TREES, max_size=4))
def test_any_document_loads_or_reports_never_crashes(tree: dict[str, object]) -> None:
    import io

    from ruamel.yaml import YAML

    buf = io.StringIO()
    YAML(typ="safe", pure=True).dump(tree, buf)
    inventory, issues = check_documents([("fuzz.yaml", buf.getvalue())])
    assert (inventory is None) == any(i.severity == "error" for i in issues)
    assert all(i.file == "fuzz.yaml" and (i.line is None or i.line >= 1) for i in issues)


_CAMERA = st.dictionaries(_KEYS, _TREES, max_size=6).map(
    lambda d: {"name": "cam", "host": "10.0.0.1", **d}
)


@settings(max_examples=25, deadline=None)
@given(
    cameras=st.lists(_CAMERA, max_size=3),
    site=st.dictionaries(_KEYS, _TREES, max_size=3),
    defaults=st.dictionaries(_KEYS, _TREES, max_size=3),
)
def test_any_camera_loads_or_reports_never_crashes(
    cameras: list[dict[str, object]], site: dict[str, object], defaults: dict[str, object]
) -> None:
    import io

    from ruamel.yaml import YAML

    doc = {"defaults": defaults, "sites": {"s": {**site, "cameras": cameras}}}
    buf = io.StringIO()
    YAML(typ="safe", pure=True).dump(doc, buf)
    inventory, issues = check_documents([("fuzz.yaml", buf.getvalue())])
    assert (inventory is None) == any(i.severity == "error" for i in issues)


def test_flap_checks_is_unset_unless_the_inventory_says() -> None:
    text = INHERIT.replace("policy: {slow_s: 4}", "policy: {slow_s: 4, flap_checks: 3}")
    inv, _ = load_documents([("inv.yaml", text)])
    a, c = inv.camera("a"), inv.camera("c")
    assert a is not None and c is not None
    assert a.policy.flap_checks == 3  # the site's: serve damps this camera over 3 checks
    assert c.policy.flap_checks is None  # serve's --flap-checks decides
