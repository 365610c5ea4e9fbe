"""Webhook notifications for sites without Prometheus: one JSON POST per status change.

Delivery is best effort with a short retry: a notifier that is down must never stall monitoring,
so every POST runs under its own deadline and failures are logged, not raised. URLs may carry a
token in their query or userinfo: they are never logged whole.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from typing import Any
from urllib.parse import urlsplit

import aiohttp

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # a restarting receiver gets a few seconds; a dead one costs ~4 s per event


def _safe(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or ''}{parts.path}"


async def post_json(url: str, payload: dict[str, Any], *, timeout_s: float = 5.0) -> bool:
    """POST ``payload`` as JSON; True when the receiver answered 2xx. Never raises."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(url, data=body, headers={"Content-Type": "application/json"}) as resp,
            ):
                if 200 <= resp.status < 300:
                    return True
                log.warning(
                    "webhook %s answered HTTP %d (attempt %d)", _safe(url), resp.status, attempt
                )
                if 400 <= resp.status < 500 and resp.status != 429:
                    return False  # the receiver refuses this payload: retrying won't help
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            log.warning(
                "webhook %s failed: %s (attempt %d)", _safe(url), type(err).__name__, attempt
            )
        if attempt < MAX_ATTEMPTS:
            await asyncio.sleep(0.5 * attempt + random.uniform(0, 0.5))
    return False
