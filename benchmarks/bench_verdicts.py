"""How right `fleetctl check` is: precision and recall per fault kind against the simulator's truth.

    python benchmarks/bench_verdicts.py                  # 500 cameras, every fault at 1.5 %
    python benchmarks/bench_verdicts.py --faults realistic --cameras 1000
    python benchmarks/bench_verdicts.py --passes 1       # first check only (no history yet)

`fleetctl sim --write-truth` says what each camera's faults imply (kind and severity, and kinds
it may rightly also show); `fleetctl check -f json --check-default-passwords --picture` is run ``--passes`` times on one history
store (later checks know what earlier ones learned: stream addresses, ONVIF calls a model
leaves out) and each pass is scored:

- recall of a kind: cameras with a fault of that kind whose report has that kind at that
  severity, over cameras with such a fault;
- precision of a kind: of the cameras reported with that kind (warn or crit), those whose
  faults imply it (or allow it);
- false alarms: cameras without any fault whose status is not ok.

Targets (issue 12): no false alarm on a healthy camera, recall >= 0.98 for every kind.
``flapping`` is left out of the default mix: one check sees such a camera up or down by chance;
``serve`` judges it over several checks.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fleetctl.sim.camera.model import FAULTS

SEVERE = ("warn", "crit")


def default_faults(rate: float) -> str:
    return ",".join(f"{name}={rate}" for name in FAULTS if name != "flapping")


def start_sim(cameras: int, faults: str, seed: int, workdir: Path) -> tuple[Any, Path, Path]:
    inventory, truth = workdir / "sim.yaml", workdir / "truth.json"
    tail: list[str] = []
    for block in range(11, 19):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fleetctl",
                "sim",
                "--cameras",
                str(cameras),
                "--faults",
                faults,
                "--seed",
                str(seed),
                "--recorders",
                "0",
                "--no-discovery",
                "--block",
                str(block),
                "--write-inventory",
                str(inventory),
                "--write-truth",
                str(truth),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=dict(os.environ, COLUMNS="200"),
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            tail = [*tail[-5:], line.rstrip()]
            if "stops the fleet" in line:
                return proc, inventory, truth
        proc.wait()  # address block taken: try the next one
    raise RuntimeError("fleetctl sim did not start:\n" + "\n".join(tail))


def check(inventory: Path, db: Path) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "fleetctl",
            "check",
            "-i",
            str(inventory),
            "--db",
            str(db),
            "-f",
            "json",
            "-q",
            "--check-default-passwords",
            "--picture",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return json.loads(out.stdout)  # type: ignore[no-any-return]
    except ValueError:
        raise SystemExit(
            f"check's output is not JSON (exit {out.returncode}, {len(out.stdout)} characters): "
            + out.stderr[-2000:]
        ) from None


def score(truth: dict[str, Any], report: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The table's lines, and the misses and false alarms in words."""
    by_name = {c["name"]: c for c in report["cameras"]}
    want: Counter[str] = Counter()
    hit: Counter[str] = Counter()
    flagged: Counter[str] = Counter()
    right: Counter[str] = Counter()
    healthy = alarms = 0
    notes: list[str] = []
    for cam in truth["cameras"]:
        got = by_name[cam["name"]]
        found = {(p["kind"], p["severity"]) for p in got["problems"]}
        kinds_found = {k for k, sev in found if sev in SEVERE}
        allowed = {e["kind"] for e in cam["expect"]} | set(cam["may_also"])
        for e in cam["expect"]:
            want[e["kind"]] += 1
            if (e["kind"], e["severity"]) in found:
                hit[e["kind"]] += 1
            else:
                notes.append(f"missed {e['fault']} on {cam['name']}: {_words(got)}")
        for kind in kinds_found:
            flagged[kind] += 1
            if kind in allowed:
                right[kind] += 1
            else:
                notes.append(f"false {kind} on {cam['name']} {cam['faults']}: {_words(got)}")
        if not cam["faults"]:
            healthy += 1
            if got["status"] != "ok":
                alarms += 1
    lines = [
        f"{'kind':10} {'faulty':>7} {'found':>6} {'recall':>7} {'flagged':>8} {'precision':>10}"
    ]
    for kind in sorted(set(want) | set(flagged)):
        recall = hit[kind] / want[kind] if want[kind] else float("nan")
        precision = right[kind] / flagged[kind] if flagged[kind] else float("nan")
        lines.append(
            f"{kind:10} {want[kind]:7} {hit[kind]:6} {recall:7.3f} {flagged[kind]:8} {precision:10.3f}"
        )
    lines.append(f"healthy cameras: {healthy}, false alarms on them: {alarms}")
    return lines, notes


def _words(cam: dict[str, Any]) -> str:
    return (
        "; ".join(f"{p['kind']}/{p['severity']}: {p['message']}" for p in cam["problems"]) or "ok"
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--cameras", type=int, default=500)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--rate", type=float, default=0.015, help="share of cameras per fault")
    ap.add_argument(
        "--faults", help="a `fleetctl sim --faults` spec (default: every fault at --rate)"
    )
    ap.add_argument("--passes", type=int, default=2)
    ap.add_argument("--show", type=int, default=20, help="misses and false alarms to print")
    args = ap.parse_args()
    faults = args.faults or default_faults(args.rate)
    with tempfile.TemporaryDirectory(prefix="bench-verdicts-") as tmp:
        workdir = Path(tmp)
        os.environ["XDG_DATA_HOME"] = str(workdir / "data")
        proc, inventory, truth_path = start_sim(args.cameras, faults, args.seed, workdir)
        try:
            truth = json.loads(truth_path.read_text())
            db = workdir / "history.sqlite"
            for n in range(1, args.passes + 1):
                report = check(inventory, db)
                lines, notes = score(truth, report)
                print(
                    f"== pass {n}: {len(truth['cameras'])} cameras, seed {args.seed}, "
                    f"check took {report['duration_s']:.1f} s"
                )
                print("\n".join(lines))
                for note in notes[: args.show]:
                    print("  " + note)
                if len(notes) > args.show:
                    print(f"  ... and {len(notes) - args.show} more")
        finally:
            proc.terminate()
            proc.wait(timeout=60)


if __name__ == "__main__":
    main()
