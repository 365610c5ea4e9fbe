"""What a correct check must say about each simulated camera: the verdicts its faults imply.

``fleetctl sim --write-truth FILE`` writes it as JSON, for ``benchmarks/bench_verdicts.py`` to
hold ``fleetctl check`` to (precision and recall per fault kind, false alarms on healthy
cameras):

    {"version": 1, "seed": 4, "cameras": [{"name": ..., "status": "ok|warn|crit",
      "faults": ["frozen"], "expect": [{"fault": "frozen", "kind": "stream", "severity": "crit"}],
      "may_also": ["stream"]}]}

``expect``: each fault's kind and severity (``sim.camera.model.FAULTS``), which the check must
report. ``may_also``: other kinds the check may rightly report too (a hung device's video, when the
check knows where to look): neither required nor a false alarm. A camera without faults must read
ok.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fleetctl.sim.camera.model import FAULTS

if TYPE_CHECKING:
    from fleetctl.sim.fleet import SimFleet

_RANK = {"ok": 0, "warn": 1, "crit": 2}


def truth(fleet: SimFleet) -> dict[str, Any]:
    """The truth of every camera in the fleet's inventory (factory-fresh ones are not in it)."""
    cameras = []
    for cam in fleet.cameras:
        if cam.fresh:
            continue
        faults = sorted(cam.faults)
        expect = [
            {"fault": f, "kind": FAULTS[f].kind, "severity": FAULTS[f].severity} for f in faults
        ]
        status = max((e["severity"] for e in expect), key=_RANK.__getitem__, default="ok")
        also = sorted({k for f in faults for k in FAULTS[f].also})
        cameras.append(
            {
                "name": cam.name,
                "status": status,
                "faults": faults,
                "expect": expect,
                "may_also": also,
            }
        )
    return {"version": 1, "seed": fleet.seed, "cameras": cameras}


def write_truth(fleet: SimFleet, path: str | Path) -> Path:
    out = Path(path)
    out.write_text(json.dumps(truth(fleet), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return out
