"""Decode one keyframe into a small grey picture for the picture verdicts (PyAV, optional).

    decode_keyframe(codec, annexb, *, width=160) -> PictureProbe

The keyframe comes from the stream the check already reads (``probe_stream(keyframe=True)``):
no second connection, no extra bytes from the camera. Decoding one H.264/H.265 keyframe costs a
few milliseconds of CPU (a 4 MP one, ~20 ms); it runs in a worker thread so the event loop keeps
its timing, and the picture is shrunk to ``width`` pixels at once (the verdicts need no more).

PyAV is optional (``pip install 'fleetctl[picture]'``): without it the probe says so
(UNSUPPORTED) and nothing else changes. Never raises for a camera's bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fleetctl.core.probes import Failure, PictureProbe

SMALL_WIDTH = 160


async def decode_keyframe(codec: str, annexb: bytes, *, width: int = SMALL_WIDTH) -> PictureProbe:
    return await asyncio.to_thread(_decode, codec, annexb, width)


def _decode(codec: str, data: bytes, width: int) -> PictureProbe:
    try:
        import av
    except ImportError:
        return PictureProbe(
            failure=Failure.UNSUPPORTED,
            error="the picture probe needs PyAV: pip install 'fleetctl[picture]'",
        )
    name = "hevc" if codec.upper() in ("H265", "HEVC") else "h264"
    try:
        ctx: Any = av.CodecContext.create(name, "r")
        ctx.thread_count = 1  # one picture: threads cost more than they save
        # No deblocking: at 160 pixels wide it changes nothing the verdicts read, and it is
        # half of the decode's CPU.
        ctx.options = {"skip_loop_filter": "all"}
        # One whole access unit, Annex B: a packet of its own (a parser would hold it back
        # until the next picture began).
        frames = list(ctx.decode(av.Packet(data)))
        if not frames:
            with contextlib.suppress(av.error.EOFError):
                frames += ctx.decode(None)  # flush: the decoder may hold the last picture
        if not frames:
            return PictureProbe(failure=Failure.MALFORMED, error="the keyframe did not decode")
        frame = frames[0]
        w = max(2, min(width, frame.width))
        h = max(2, round(frame.height * w / frame.width))
        small = frame.reformat(width=w, height=h, format="gray")
        plane = small.planes[0]
        raw, stride = bytes(plane), plane.line_size
    except (av.error.FFmpegError, ValueError, MemoryError) as err:
        return PictureProbe(
            failure=Failure.MALFORMED, error=f"the keyframe did not decode ({type(err).__name__})"
        )
    luma = b"".join(raw[y * stride : y * stride + w] for y in range(h))
    return PictureProbe(width=w, height=h, luma=luma)
