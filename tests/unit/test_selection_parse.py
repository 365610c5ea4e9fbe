"""Selection: table-driven matches, errors that point at the term, and algebraic properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.ids import cell

from fleetctl.core.errors import UsageError
from fleetctl.core.inventory.load import load_documents
from fleetctl.core.models import Camera, Status
from fleetctl.core.selection import fold, parse_selection, select_cameras

CAMS = {
    "dt-cho-01": Camera(
        "dt-cho-01", "10.20.1.11", "đông-tiến", tags=("market", "hik"), location="Chợ Đông Tiến"
    ),
    "dt-truong": Camera(
        "dt-truong", "10.20.2.21", "đông-tiến", tags=("school",), location="Trường THCS"
    ),
    "qt-cau-01": Camera("qt-cau-01", "10.20.3.21", "quang-thinh", tags=("bridge", "Dahua")),
    "hq-dns": Camera("hq-dns", "cam7.hoang-quang.example", "hoang-quang", tags=("river",)),
}
STATUS = {"dt-cho-01": Status.CRIT, "dt-truong": Status.OK, "qt-cau-01": Status.WARN}


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("", {"dt-cho-01", "dt-truong", "qt-cau-01", "hq-dns"}),
        ("site:đông-tiến", {"dt-cho-01", "dt-truong"}),
        ("site:dong-tien", {"dt-cho-01", "dt-truong"}),  # without diacritics
        ("site:'Dong Tien'", {"dt-cho-01", "dt-truong"}),  # spaces = hyphens, any case
        ("site:dong", set()),  # site is exact (or a glob), not a prefix
        ("site:dong*", {"dt-cho-01", "dt-truong"}),
        ("dong tien", {"dt-cho-01", "dt-truong"}),  # bare words: substrings, AND
        ("'chợ đông'", {"dt-cho-01"}),  # a quoted phrase, folded, inside the location
        ("tag:market,school", {"dt-cho-01", "dt-truong"}),  # comma = OR, key carried over
        ("tag:dahua", {"qt-cau-01"}),
        ("site:quang-thinh,tag:school", {"qt-cau-01", "dt-truong"}),
        ("!tag:market", {"dt-truong", "qt-cau-01", "hq-dns"}),
        ("!site:dong-tien !tag:river", {"qt-cau-01"}),
        ("name:dt-*", {"dt-cho-01", "dt-truong"}),
        ("DT-CHO-0?", {"dt-cho-01"}),  # a bare glob is a name glob, case-insensitive
        ("host:10.20.1.0/24", {"dt-cho-01"}),
        ("host:10.20.1.1-10.20.2.255", {"dt-cho-01", "dt-truong"}),
        ("host:10.20.*.21", {"dt-truong", "qt-cau-01"}),
        ("host:10.20.3.21", {"qt-cau-01"}),
        ("host:*.hoang-quang.example", {"hq-dns"}),
        ("status:crit", {"dt-cho-01"}),
        ("status:crit,warn", {"dt-cho-01", "qt-cau-01"}),
        ("!status:ok", {"dt-cho-01", "qt-cau-01", "hq-dns"}),  # never checked: not ok
        ("status:unknown", set()),  # never checked is not "unknown"
        ("site:dong-tien !status:ok tag:market", {"dt-cho-01"}),
    ],
    ids=cell,
)
def test_matches(expr: str, expected: set[str]) -> None:
    sel = parse_selection(expr)
    got = {name for name, cam in CAMS.items() if sel.matches(cam, STATUS.get(name))}
    assert got == expected


@pytest.mark.parametrize(
    ("expr", "message", "caret_at", "width"),
    [
        ("site:a sit:b", "did you mean `site:`", 7, 5),
        ("tag:a status:bad", "status must be one of", 6, 10),
        ("host:10.20.1.300", "not an IP, CIDR", 0, 16),
        ("host:10.20.1.9-10.20.1.1", "not an IP, CIDR", 0, 24),
        ("tag:a ! x", "needs a term", 6, 1),
        ("tag:", "empty value", 0, 4),
        ("site:'dong tien", "unclosed quote", 5, 1),
    ],
)
def test_errors_point_at_the_term(expr: str, message: str, caret_at: int, width: int) -> None:
    with pytest.raises(UsageError) as info:
        parse_selection(expr)
    text = str(info.value)
    assert message in text
    _, shown, carets = text.split("\n")
    assert shown == f"  {expr}"
    assert carets == "  " + " " * caret_at + "^" * width


def test_select_cameras_keeps_inventory_order() -> None:
    inv, _ = load_documents(
        [
            (
                "i.yaml",
                "sites:\n  đông-tiến:\n    cameras:\n"
                "      - {name: b, host: 10.0.0.2, tags: [x]}\n"
                "      - {name: a, host: 10.0.0.1, tags: [x]}\n"
                "      - {name: c, host: 10.0.0.3}\n",
            )
        ]
    )
    assert [c.name for c in select_cameras(inv, "tag:x")] == ["b", "a"]
    assert [c.name for c in select_cameras(inv, "!status:crit", {"a": Status.CRIT})] == ["b", "c"]
    assert (
        parse_selection("status:ok tag:x").uses_status and not parse_selection("tag:x").uses_status
    )


def test_fold() -> None:
    assert fold("Đông Tiến") == "dong tien"
    assert fold("QUẢNG THỊNH") == "quang thinh"


# ---------------------------------------------------------------- properties

_word = st.text(alphabet="abcdđêơ-", min_size=1, max_size=6).filter(lambda w: not w.startswith("-"))
_atoms = st.one_of(
    st.builds(lambda w: f"tag:{w}", _word),
    st.builds(lambda w: f"site:{w}", _word),
    st.builds(lambda w: f"name:{w}*", _word),
    st.sampled_from(["status:ok", "status:crit", "host:10.20.0.0/16", "host:10.20.3.*"]),
)
_cams = st.builds(
    lambda name, site, tags, last_octet: Camera(
        name, f"10.20.3.{last_octet}", site, tags=tuple(tags)
    ),
    _word,
    _word,
    st.lists(_word, max_size=3),
    st.integers(0, 255),
)
_status = st.one_of(st.none(), st.sampled_from(list(Status)))


@given(a=_atoms, b=_atoms, cam=_cams, status=_status)
def test_and_or_not_are_boolean(a: str, b: str, cam: Camera, status: Status | None) -> None:
    ma = parse_selection(a).matches(cam, status)
    mb = parse_selection(b).matches(cam, status)
    assert parse_selection(f"{a} {b}").matches(cam, status) == (ma and mb)
    assert parse_selection(f"{a},{b}").matches(cam, status) == (ma or mb)
    assert parse_selection(f"!{a}").matches(cam, status) == (not ma)
    assert parse_selection("").matches(cam, status)


@given(st.text(max_size=40))
def test_any_text_parses_or_raises_usage_error(expr: str) -> None:
    try:
        sel = parse_selection(expr)
    except UsageError as err:
        assert "bad selection" in str(err)
    else:
        sel.matches(CAMS["dt-cho-01"], Status.OK)  # and matching never raises
