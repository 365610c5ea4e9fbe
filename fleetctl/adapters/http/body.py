"""A whole response body from aiohttp, up to a cap: ``read_capped(resp.content, cap)``.

aiohttp's ``StreamReader.read(n)`` returns what has arrived so far (at least one byte, at most
n), not n bytes: a reply that reaches us in two TCP segments is cut at the first. On loopback
a small reply is one segment, so the cut never shows in a test on this machine; across a
routed network it does. This reads until the end of the body or until ``cap`` bytes, whichever
comes first; a caller that must tell "too big" from "just fits" passes ``cap + 1`` and compares.
"""

from __future__ import annotations

import aiohttp


async def read_capped(content: aiohttp.StreamReader, cap: int) -> bytes:
    """The body up to ``cap`` bytes (less when it ends sooner); never more in memory."""
    chunks: list[bytes] = []
    got = 0
    while got < cap:
        chunk = await content.read(cap - got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)
