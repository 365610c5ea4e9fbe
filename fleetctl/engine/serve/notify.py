"""Turns monitor notifications into webhook payloads."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from fleetctl.adapters.webhook import post_json
from fleetctl.engine.serve.monitor import Notification, Notifier


def payload(note: Notification) -> dict[str, object]:
    r = note.report
    return {
        "event": note.transition.value,
        "at": note.at.isoformat().replace("+00:00", "Z"),
        "camera": r.name,
        "site": r.site,
        "host": r.host,
        "status": r.status.value,
        "problems": [
            {"kind": p.kind.value, "severity": p.severity.value, "message": p.message}
            for p in r.problems
        ],
    }


def webhook_notifier(urls: Sequence[str], *, timeout_s: float = 5.0) -> Notifier:
    async def notify(note: Notification) -> None:
        body = payload(note)
        await asyncio.gather(*(post_json(u, body, timeout_s=timeout_s) for u in urls))

    return notify
