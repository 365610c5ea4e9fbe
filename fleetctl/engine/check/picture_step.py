"""The picture probe of a camera's check (``check --picture``): is the video worth watching?

One keyframe from the stream the check already read (no second connection), decoded small
(``adapters.picture``), judged (``core.verdicts.picture``): black, one flat colour, blurred, or
the same picture for days (a coarse fingerprint kept in the history's memory with the time it
was first seen). Only a healthy stream is judged: a frozen or missing one has its own problem.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from fleetctl.base.i18n import M_
from fleetctl.core.models import Problem, Status
from fleetctl.core.probes import StreamProbe
from fleetctl.core.verdicts.picture import picture_problems, picture_stats, same_picture
from fleetctl.engine.check.camera_run import CameraRun

MEMORY_KEY = "picture"  # "<fingerprint>|<ISO time first seen>"


async def judge_picture(run: CameraRun, probe: StreamProbe, stream_found: list[Problem]) -> None:
    from fleetctl.adapters.picture import decode_keyframe

    if not probe.ok or any(p.severity is Status.CRIT for p in stream_found):
        return
    t0 = time.monotonic()
    if probe.keyframe is None:
        run.step("picture", [], M_("no keyframe in the window: the picture was not judged"), t0)
        return
    run.begin("picture")
    decoded = await decode_keyframe(probe.codec or "H264", probe.keyframe)
    stats = picture_stats(decoded)
    if stats is None:
        run.step("picture", [], decoded.error or M_("the keyframe did not decode"), t0)
        return
    now = datetime.now(UTC)
    same_since = _same_since(run.memory.get(MEMORY_KEY), stats.fingerprint)
    if same_since is None:
        run.memory.learn(MEMORY_KEY, f"{stats.fingerprint}|{now.isoformat()}")
    found = picture_problems(stats, run.camera.policy, same_since=same_since, now=now)
    detail = M_(
        "brightness %(mean).0f, contrast %(spread)d, edges %(edges)d (%(width)dx%(height)d)",
        mean=stats.mean,
        spread=stats.spread,
        edges=stats.edges,
        width=decoded.width,
        height=decoded.height,
    )
    run.step("picture", found, detail, t0)


def _same_since(stored: str | None, fingerprint: str) -> datetime | None:
    """When the history first saw this same picture; None if it shows another one."""
    if not stored:
        return None
    previous, _, since = stored.partition("|")
    if not same_picture(previous, fingerprint):
        return None
    try:
        when = datetime.fromisoformat(since)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
