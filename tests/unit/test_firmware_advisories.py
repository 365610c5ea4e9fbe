"""The advisory table: every shipped row parses, matching is exact at the edges, and a device
that cannot be placed in a range is never flagged (a false alarm on a healthy fleet)."""

from __future__ import annotations

from typing import Any

import pytest

from fleetctl.core.firmware.advisories import RulesError, matches, merge_rules, parse_rules
from fleetctl.engine.firmware import shipped_rules

HIK, DAHUA, AXIS = "HIKVISION", "Dahua", "AXIS"

CASES = [
    # (id, manufacturer, model, firmware, advisory ids expected)
    (
        "hik-2017-in-range",
        HIK,
        "DS-2CD2132F-IS",
        "V5.3.0 build 150513",
        {"ICSA-17-124-01/DS-2CD2xx2F-I"},
    ),
    (
        "hik-2017-last-affected",
        HIK,
        "DS-2CD2132F-IS",
        "V5.4.0 build 160530",
        {"ICSA-17-124-01/DS-2CD2xx2F-I", "HSRC-202109-01"},  # 5.4.0 of 2016: both apply
    ),
    ("hik-2017-fixed", HIK, "DS-2CD2132F-IS", "V5.4.5 build 170123", {"HSRC-202109-01"}),
    ("hik-2021-affected", HIK, "DS-2CD2143G2-I", "V5.5.0 build 200612", {"HSRC-202109-01"}),
    ("hik-2021-fix-day", HIK, "DS-2CD2143G2-I", "V5.5.800 build 210628", set()),
    ("hik-current", HIK, "DS-2CD2143G2-I", "V5.7.3 build 220112", set()),
    ("hik-no-build-date", HIK, "DS-2CD2143G2-I", "V5.5.0", set()),
    ("hik-nvr-family-not-listed", HIK, "DS-7608NI-K2", "V4.30.085 build 200916", set()),
    (
        "dahua-2021",
        DAHUA,
        "IPC-HDW2431T-AS",
        "2.800.0000000.16.R, Build Date: 2021-03-10",
        {"DHCC-SA-202110-001", "DHCC-SA-202206-001"},
    ),
    (
        "dahua-2022-only",
        DAHUA,
        "IPC-HDW2431T-AS",
        "2.800.0000000.31.R, Build Date: 2021-12-01",
        {"DHCC-SA-202206-001"},
    ),
    (
        "dahua-current",
        DAHUA,
        "IPC-HDW2431T-AS",
        "2.820.0000000.21.R, Build Date: 2022-11-03",
        set(),
    ),
    ("dahua-no-date", DAHUA, "IPC-HDW2431T-AS", "2.800.0000000.16.R", set()),
    ("axis-old-track", AXIS, "M3004", "5.51.3", {"ACV-128401"}),
    ("axis-current", AXIS, "P3245-LVE", "10.12.114", set()),
    ("vendor-mismatch", "Generic", "DS-2CD2132F-IS", "V5.3.0 build 150513", set()),
    ("unknown-model", HIK, None, "V5.3.0 build 150513", set()),
]


@pytest.mark.parametrize(
    ("maker", "model", "firmware", "want"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_shipped_rules_match(maker: str, model: str | None, firmware: str, want: set[str]) -> None:
    assert {r.id for r in matches(shipped_rules(), maker, model, firmware)} == want


def test_every_shipped_row_names_its_source_and_ids_are_unique() -> None:
    rules = shipped_rules()
    assert len({r.id for r in rules}) == len(rules)
    assert all(r.source.startswith("https://") and r.title for r in rules)


ROW: dict[str, Any] = {
    "id": "X-1", "vendor": "acme", "models": ["CAM-*"], "severity": "high",
    "source": "https://example.invalid/x", "build": {"before": "2020-01-01"},
}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"severity": "urgent"}, "row 1.severity"),
        ({"build": {"before": "2020-13-01"}}, "row 1.build.before: not a date"),
        ({"firmware": {"min": "abc"}}, "row 1.firmware.min: not a version"),
        ({"colour": "red"}, "unknown key 'colour'"),
        ({"models": 5}, "row 1.models"),
    ],
    ids=["severity", "bad-date", "bad-version", "unknown-key", "models-type"],
)
def test_a_bad_row_is_refused_with_its_place(change: dict[str, Any], error: str) -> None:
    with pytest.raises(RulesError, match=error.replace("(", r"\(").replace(".", r"\.")):
        parse_rules([{**ROW, **change}], "extra.yaml")


def test_missing_required_key_and_not_a_list() -> None:
    with pytest.raises(RulesError, match="`source` is required"):
        parse_rules([{k: v for k, v in ROW.items() if k != "source"}], "extra.yaml")
    with pytest.raises(RulesError, match="a list of rows"):
        parse_rules({"id": "x"}, "extra.yaml")


def test_extra_rows_add_and_replace_by_id() -> None:
    extra = parse_rules([ROW, {**ROW, "id": "HSRC-202109-01", "models": ["NONE"]}], "extra.yaml")
    merged = merge_rules(shipped_rules(), extra)
    assert {r.id for r in merged} == {r.id for r in shipped_rules()} | {"X-1"}
    assert matches(merged, "ACME Corp", "cam-9", "1.0 build 191231")[0].id == "X-1"
    assert not matches(merged, HIK, "DS-2CD2143G2-I", "V5.5.0 build 200612")  # replaced
