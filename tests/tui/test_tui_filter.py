"""The TUI's fast filter must mean exactly what ``--select`` means (core.selection).

Every atom form, negation, comma-OR, globs, diacritics and statuses, over a fleet with
Vietnamese names: the fast matcher and ``Selection.matches`` agree on every camera.
"""

from __future__ import annotations

import pytest

from fleetctl.core.errors import UsageError
from fleetctl.core.models import Camera, CameraReport, Status
from fleetctl.core.selection import parse_selection
from fleetctl.tui.filtering import Haystack, compile_filter
from fleetctl.tui.state import FleetModel, SortKey

CAMERAS = [
    Camera(
        "dt-cho-01",
        "10.20.1.11",
        "đông-tiến",
        tags=("market", "hik"),
        location="Chợ Đông Tiến, cổng chính",
    ),
    Camera("dt-truong-02", "10.20.1.12", "đông-tiến", tags=("school",), location="Trường THCS"),
    Camera("ht-cho-01", "10.20.2.11", "ha-trung", tags=("market", "dahua")),
    Camera("ht-den_03", "10.20.2.40", "Hà Trung", tags=("temple",), location="Đền Bà Triệu"),
    Camera("nvr-01", "nvr.local", "ha-trung", tags=("recorder", "nvr")),
    Camera("QX-Cau-07", "10.20.3.7", "quang-xuong"),
]
STATUSES = [Status.CRIT, Status.OK, Status.WARN, None, Status.UNKNOWN, Status.OK]

EXPRESSIONS = [
    "",
    "dong",
    "Đông",
    "cho",
    "CHO",
    "10.20.2",
    "cổng",
    "nvr",
    "x",
    "tien",
    "dong-tien",
    "ha trung",
    "site:dong-tien",
    "site:ha-trung",
    'site:"hà trung"',
    "site:*tr*",
    "!site:ha-trung",
    "tag:market",
    "tag:market,school",
    "!tag:market",
    "tag:m*",
    "name:dt-*",
    "name:QX*",
    "*cho*",
    "?t-*",
    "status:crit",
    "status:ok,warn",
    "!status:ok",
    "status:unknown",
    "host:10.20.1.0/24",
    "host:10.20.2.10-10.20.2.20",
    "host:nvr*",
    "!host:10.20.0.0/16",
    "site:ha-trung !status:ok",
    "cho !site:dong-tien",
    "tag:market,school !name:dt-truong*",
    "site:dong-tien,quang-xuong status:crit,ok",
]


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_fast_filter_agrees_with_selection(expr: str) -> None:
    slow = parse_selection(expr)
    fast = compile_filter(expr)
    for cam, status in zip(CAMERAS, STATUSES, strict=True):
        assert fast(Haystack.of(cam), status) == slow.matches(cam, status), (expr, cam.name)


def test_expressions_select_something_and_not_everything() -> None:
    """The table above is not vacuous: most expressions split the fleet."""
    splitting = [
        e
        for e in EXPRESSIONS
        if 0
        < sum(parse_selection(e).matches(c, s) for c, s in zip(CAMERAS, STATUSES, strict=True))
        < len(CAMERAS)
    ]
    assert len(splitting) >= len(EXPRESSIONS) - 3


@pytest.mark.parametrize("bad", ["site:", "!", "status:sideways", 'tag:"open'])
def test_bad_expression_raises_usage_error_and_keeps_the_old_filter(bad: str) -> None:
    model = FleetModel(CAMERAS)
    model.set_filter("site:ha-trung")
    with pytest.raises(UsageError):
        model.set_filter(bad)
    assert model.filter_text == "site:ha-trung" and len(model.visible) == 3


def test_model_counts_follow_results_and_filter_keeps_sorted_order() -> None:
    model = FleetModel(CAMERAS)
    assert model.counts()["pending"] == 6
    reports = [
        CameraReport(c.name, c.site, c.host, s) for c, s in zip(CAMERAS, STATUSES, strict=True) if s
    ]
    model.apply(reports)
    model.refilter()
    assert model.counts() == {"ok": 2, "warn": 1, "crit": 1, "unknown": 1, "pending": 1}
    assert model.site_counts()["ha-trung"] == {"warn": 1, "unknown": 1}
    assert model.visible[:3] == ["dt-cho-01", "nvr-01", "ht-cho-01"]  # crit, unknown, warn
    model.set_filter("name:*cho*")  # a bare "cho" also finds the school ("s-cho-ol")
    assert model.visible == ["dt-cho-01", "ht-cho-01"]
    model.apply([CameraReport("dt-cho-01", "đông-tiến", "10.20.1.11", Status.OK)])
    model.refilter()
    assert model.visible == ["ht-cho-01", "dt-cho-01"]  # re-sorted after the result
    assert model.counts()["crit"] == 0 and model.counts()["ok"] == 3
    model.set_sort(SortKey.NAME)
    assert model.visible == ["dt-cho-01", "ht-cho-01"]
