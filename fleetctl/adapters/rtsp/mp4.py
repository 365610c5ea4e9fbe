"""Access units into an MP4 file, without re-encoding (PyAV: FFmpeg's muxers).

    writer = Mp4Writer(path, params, start_utc); writer.add(unit) ...; writer.finish() -> Clip
    writer.finish(publish=False) -> Clip at ``path.part``   (the caller renames it into place)
    writer.abort()          (on any failure: nothing is left at ``path`` or beside it)

Units arrive as the camera sent them (Annex B NAL units, RTP timestamps). They are appended to
a temporary H.264/H.265 elementary stream next to ``path`` (memory stays flat however long the
clip), the stream starts at the first keyframe (with the parameter sets in front of it), and
``finish`` remuxes it into ``path``: FFmpeg's parser splits the same access units again, each
gets the presentation time of its RTP timestamp (90 kHz, relative to the first), the MP4's
``creation_time`` is ``created`` (the export passes the window's start; the first frame can be
up to one GOP earlier, the camera's clean point, and the sidecar names its time). Written to ``path.part`` and renamed at the
end: a reader never sees a half-written clip.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path

from fleetctl.adapters.rtsp.replay import AccessUnit

_START = b"\x00\x00\x00\x01"
RTP_CLOCK = 90_000


@dataclass(frozen=True)
class Clip:
    path: Path
    frames: int
    duration_s: float  # first to last frame, plus one frame's time
    first_rtp_offset_s: float  # 0: the clip starts at its first frame


class Mp4Writer:
    def __init__(self, path: Path, params: list[bytes], codec: str, created: datetime) -> None:
        self.path = path
        self.codec = "hevc" if codec.upper() in ("H265", "HEVC") else "h264"
        self.params = params
        self.created = created
        self.es_path = path.with_name(path.name + ".es.part")
        self.part = path.with_name(path.name + ".part")
        self.times: list[int] = []  # RTP timestamps, unwrapped
        self._es = self.es_path.open("wb")
        self._last: int | None = None

    def add(self, unit: AccessUnit) -> None:
        if not self.times and not unit.keyframe:
            return  # a decodable clip starts at a keyframe
        kinds = {((n[0] >> 1) & 0x3F) if self.codec == "hevc" else n[0] & 0x1F for n in unit.nals}
        has_params = (33 in kinds) if self.codec == "hevc" else (7 in kinds)
        if unit.keyframe and not has_params:
            self._es.write(b"".join(_START + p for p in self.params))
        self._es.write(unit.annexb())
        ts = unit.rtp_ts
        if self._last is not None:  # unwrap the 32-bit RTP clock
            ts = self._last + ((unit.rtp_ts - self._last) & 0xFFFFFFFF)
        self._last = ts
        self.times.append(ts)

    @property
    def frames(self) -> int:
        return len(self.times)

    def finish(self, *, publish: bool = True) -> Clip:
        """Remux into ``path`` (``publish``) or leave the finished clip at ``path.part`` for a
        caller that writes something beside it first and renames last."""
        import av

        self._es.close()
        if not self.times:
            raise ValueError("no keyframe was received: nothing to write")
        t0 = self.times[0]
        step = (self.times[-1] - t0) / (len(self.times) - 1) if len(self.times) > 1 else 3600
        base = Fraction(1, RTP_CLOCK)
        with (
            av.open(str(self.es_path), format=self.codec) as src,
            av.open(str(self.part), "w", format="mp4") as out,
        ):
            out.metadata["creation_time"] = self.created.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            video = src.streams.video[0]
            stream = out.add_stream_from_template(video)
            stream.time_base = base
            n = 0
            for pkt in src.demux(video):
                if pkt.size == 0 or n >= len(self.times):
                    continue
                pts = self.times[n] - t0
                nxt = self.times[n + 1] - t0 if n + 1 < len(self.times) else pts + round(step)
                pkt.stream = stream
                pkt.time_base = base
                pkt.pts = pkt.dts = pts
                pkt.duration = max(1, nxt - pts)
                out.mux(pkt)
                n += 1
        if publish:
            os.replace(self.part, self.path)
        self.es_path.unlink(missing_ok=True)
        duration = (self.times[-1] - t0 + step) / RTP_CLOCK
        return Clip(self.path if publish else self.part, n, round(duration, 3), 0.0)

    def abort(self) -> None:
        """Remove everything this writer made (the clip too, if it got that far)."""
        with contextlib.suppress(OSError):
            self._es.close()
        for p in (self.es_path, self.part):
            with contextlib.suppress(OSError):
                p.unlink()
