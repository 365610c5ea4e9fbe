"""The report page in real renderers: Chromium draws the HTML, poppler draws the PDF.

Three days of made-up history for twelve cameras on three sites (one down half a day, one
failed card, drifting clocks) go through the real history store and the real CLI; Debian's
chromium screenshots the page and ``pdftoppm`` rasterises the PDF's first page. Neither image
may be blank.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.cli import fleetctl
from support.report import assert_self_contained, not_blank, weasyprint_works

from fleetctl.core.models import (
    CameraReport,
    DeviceInfo,
    FleetReport,
    Problem,
    ProblemKind,
    Status,
    StorageResult,
)
from fleetctl.engine.history import HistoryStore

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

INVENTORY = """\
sites:
  dong-tien:
    location: "Phường Đông Tiến"
    cameras:
%s
  hoang-hoa:
    location: "Xã Hoằng Hóa"
    cameras:
%s
  quang-thinh:
    location: "Phường Quảng Thịnh"
    cameras:
%s
"""


def _inventory(path: Path) -> list[tuple[str, str]]:
    cams: list[tuple[str, str]] = []
    blocks = []
    for s, site in enumerate(("dong-tien", "hoang-hoa", "quang-thinh")):
        lines = []
        for i in range(4):
            name = f"{site[:2]}-{i:02d}"
            cams.append((name, site))
            lines.append(f"      - {{name: {name}, host: 127.0.9.{10 * s + i + 1}}}")
        blocks.append("\n".join(lines))
    path.write_text(INVENTORY % tuple(blocks), encoding="utf-8")
    return cams


def _history(db: Path, cams: list[tuple[str, str]], end: datetime) -> None:
    start = end - timedelta(days=3)
    with HistoryStore(str(db)) as store:
        t = start
        while t <= end:
            reports = []
            for n, (name, site) in enumerate(cams):
                down = n == 0 and start + timedelta(days=1) <= t < start + timedelta(days=1.5)
                failed = n == 5
                problems: tuple[Problem, ...] = ()
                status = Status.OK
                if down:
                    status, problems = (
                        Status.CRIT,
                        (Problem(ProblemKind.OFFLINE, Status.CRIT, "no answer"),),
                    )
                elif failed:
                    status = Status.CRIT
                    problems = (
                        Problem(
                            ProblemKind.STORAGE,
                            Status.CRIT,
                            "SD1 failed (replace the card or disk)",
                        ),
                    )
                reports.append(
                    CameraReport(
                        name, site, "127.0.9.1", status, problems,
                        device=DeviceInfo("HIKVISION", "DS-2CD2143G2-I", "V5.7.3" if n % 3 else "V5.5.0"),
                        clock_offset_s=None if down else float(n * n),
                        storage=(StorageResult("SD1", "failed" if failed else "ok", 1000, 500,
                                               Status.CRIT if failed else Status.OK, recording=not failed),),
                        checked_at=t,
                    )
                )  # fmt: skip
            store.record(FleetReport("0.1.0", t, 1.0, tuple(reports)))
            t += timedelta(hours=1)


async def test_the_page_and_the_pdf_draw_something(tmp_path: Path) -> None:
    if not os.path.exists(CHROMIUM) or not shutil.which("pdftoppm") or not weasyprint_works():
        pytest.skip("needs chromium, poppler-utils (pdftoppm) and Pango: .ci/run installs them")
    cams = _inventory(tmp_path / "inv.yaml")
    end = datetime.now(UTC).replace(microsecond=0)
    _history(tmp_path / "h.sqlite", cams, end)
    html, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    code, _out, err = await fleetctl(
        "report", "-i", str(tmp_path / "inv.yaml"), "--db", str(tmp_path / "h.sqlite"),
        "--since", "3d", "-o", str(html), "--pdf", str(pdf), home=tmp_path,
    )  # fmt: skip
    assert code == 0, err
    page = html.read_text(encoding="utf-8")
    assert_self_contained(page)
    assert "Phường Đông Tiến" in page and "Xã Hoằng Hóa" in page

    shot = tmp_path / "shot.png"
    chromium = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'chromium'}", "--window-size=1200,1800",
        f"--screenshot={shot}", html.as_uri(),
    ]  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        *chromium, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _o, errb = await asyncio.wait_for(proc.communicate(), 180)
    assert shot.exists(), errb.decode(errors="replace")[-2000:]
    not_blank(shot, min_colours=16)

    proc = await asyncio.create_subprocess_exec(
        "pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(tmp_path / "page"),
        stderr=subprocess.PIPE,
    )  # fmt: skip
    _o, errb = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, errb.decode(errors="replace")
    not_blank(tmp_path / "page.png", min_colours=16)
