"""`fleetctl report` as a user runs it: two real checks of a simulated district, then the report.

The numbers in the report must equal the last check's JSON for the same moment: status counts
per site and for the fleet, open problems, clock offsets, dead cards, firmware.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from support.cli import fleetctl
from support.report import assert_self_contained, weasyprint_works

from fleetctl.sim.fleet import SimFleet

FAST = ("--timeout", "5", "--window", "0.3")
pytestmark = pytest.mark.timeout(240)


def _bin(offset: float) -> str:
    a = abs(offset)
    return (
        "lt_1s"
        if a < 1
        else "1_5s"
        if a < 5
        else "5_30s"
        if a < 30
        else "30_300s"
        if a < 300
        else "ge_300s"
    )


async def test_report_numbers_equal_the_last_check(
    make_fleet: Callable[..., Awaitable[SimFleet]], tmp_path: Path
) -> None:
    fleet = await make_fleet(
        cameras=9,
        sites=3,
        faults="none",
        seed=5,
        ssh=False,
        assign={0: {"no_video"}, 1: {"clock_skew"}, 3: {"storage_failed"}, 4: {"offline"}},
    )
    inv, _ = fleet.write_inventory(tmp_path / "sim.yaml")
    db = str(tmp_path / "h.sqlite")
    for _ in range(2):
        code, out, err = await fleetctl(
            "check", "-i", str(inv), "--db", db, "-f", "json", "-q", *FAST, home=tmp_path
        )
        assert code in (0, 1, 2), err
    check = json.loads(out)

    code, out, err = await fleetctl(
        "report", "-i", str(inv), "--db", db, "--since", "1h", "-f", "json", home=tmp_path
    )
    assert code == 0, err
    rep = json.loads(out)

    # Cameras by status at the end of the period: the last check's summary, fleet and per site.
    summary = dict(check["summary"])
    assert rep["fleet"]["cameras"] == summary.pop("total")
    assert rep["fleet"]["status"] == {**summary, "not_checked": 0}
    per_site: dict[str, Counter[str]] = {}
    for cam in check["cameras"]:
        per_site.setdefault(cam["site"], Counter())[cam["status"]] += 1
    assert {s["site"] for s in rep["sites"]} == set(per_site)
    for site in rep["sites"]:
        want = per_site[site["site"]]
        assert site["status"] == {k: want[k] for k in ("ok", "warn", "crit", "unknown")} | {
            "not_checked": 0
        }
        assert site["location"]  # the sites' own names travel with them
    # Problems still open are exactly the last check's problems.
    got = sorted((p["camera"], p["kind"], p["message"]) for p in rep["problems"]["open"])
    want_p = sorted(
        (c["name"], p["kind"], p["message"]) for c in check["cameras"] for p in c["problems"]
    )
    assert got == want_p and got
    assert rep["fleet"]["problems"]["open"] == len(want_p)
    # Clock drift, dead cards and firmware from the same check.
    bins = Counter(
        _bin(c["clock_offset_s"]) for c in check["cameras"] if c["clock_offset_s"] is not None
    )
    assert {b["bin"]: b["cameras"] for b in rep["clock"]["bins"]} == {
        k: bins[k] for k in ("lt_1s", "1_5s", "5_30s", "30_300s", "ge_300s")
    }
    failed = sorted(
        c["name"] for c in check["cameras"]
        if any(s["state"] in ("failed", "unformatted", "missing") for s in c["storage"])
    )  # fmt: skip
    assert (
        failed and sorted(s["camera"] for s in rep["storage"] if s["reason"] == "failed") == failed
    )
    firmware = Counter(
        (c["device"]["manufacturer"], c["device"]["model"], c["device"]["firmware"])
        for c in check["cameras"]
        if c["device"] and c["device"]["firmware"]
    )
    assert {
        (f["manufacturer"], f["model"], f["firmware"]): f["count"] for f in rep["firmware"]
    } == dict(firmware)
    # Days of footage kept, per site: the median of the check's days_kept (whole days in history).
    for site in rep["sites"]:
        kept = sorted(
            round(d) if d >= 1 else round(d, 1)
            for c in check["cameras"]
            if c["site"] == site["site"] and (d := c.get("days_kept")) is not None
        )
        want_days = statistics.median(kept) if kept else None
        assert site["footage_days"] == want_days
    # Availability: a crit camera was down; every second tracked is accounted for.
    secs = rep["fleet"]["seconds"]
    assert secs["down"] > 0 and 0 < rep["fleet"]["availability"] < 1
    assert secs["up"] + secs["down"] + secs["unknown"] + secs["unchecked"] == pytest.approx(
        secs["tracked"], abs=0.01
    )

    # CSV: the same numbers, one row per site and one for the fleet.
    code, out, err = await fleetctl(
        "report", "-i", str(inv), "--db", db, "--since", "1h", "-f", "csv", home=tmp_path
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["scope"] for r in rows] == ["site"] * len(rep["sites"]) + ["fleet"]
    by_site: dict[str, Any] = {s["site"]: s for s in rep["sites"]}
    for row in rows[:-1]:
        s = by_site[row["site"]]
        assert int(row["crit"]) == s["status"]["crit"] and int(row["ok"]) == s["status"]["ok"]
        assert int(row["problems_open"]) == s["problems"]["open"]
    assert int(rows[-1]["cameras"]) == rep["fleet"]["cameras"]

    # HTML and PDF, as the "done when" says.
    html, pdf = tmp_path / "r.html", tmp_path / "r.pdf"
    code, _out, err = await fleetctl(
        "report",
        "-i",
        str(inv),
        "--db",
        db,
        "--since",
        "1h",
        "-o",
        str(html),
        *(("--pdf", str(pdf)) if weasyprint_works() else ()),  # Pango missing: HTML only
        home=tmp_path,
    )
    assert code == 0, err
    page = html.read_text(encoding="utf-8")
    assert_self_contained(page)
    assert page.count("<svg") >= 3
    for site in rep["sites"]:
        assert f"<td>{site['site']}</td>" in page and site["location"] in page
    if weasyprint_works():
        assert pdf.read_bytes().startswith(b"%PDF-")


async def test_report_refuses_an_empty_period_and_unknown_selection(tmp_path: Path) -> None:
    inv = tmp_path / "inv.yaml"
    inv.write_text(
        "sites:\n  s1:\n    cameras:\n      - {name: c1, host: 127.0.0.1}\n", encoding="utf-8"
    )
    db = str(tmp_path / "h.sqlite")
    code, _out, err = await fleetctl(
        "report",
        "-i",
        str(inv),
        "--db",
        db,
        "--from",
        "2026-12-02",
        "--to",
        "2026-12-01",
        home=tmp_path,
    )
    assert code == 64 and "empty" in err
    code, _out, err = await fleetctl(
        "report", "-i", str(inv), "--db", db, "-s", "site:nowhere", home=tmp_path
    )
    assert code == 64 and "no camera matches" in err
    code, out, err = await fleetctl(
        "report", "-i", str(inv), "--db", db, "-f", "json", home=tmp_path
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["fleet"]["status"]["not_checked"] == 1 and doc["fleet"]["availability"] is None
