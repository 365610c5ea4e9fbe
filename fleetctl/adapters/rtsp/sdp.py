"""The little of SDP (RFC 4566) an RTSP probe needs: video media, codec, control, fmtp.

Pure functions, no I/O. Cameras write sloppy SDP (``\\n`` line ends, blank lines, attributes
before ``m=``, no ``a=rtpmap`` for static payload types): parse leniently, never raise.
"""

from __future__ import annotations

from dataclasses import dataclass

# Static payload types (RFC 3551) cameras use without an a=rtpmap line.
_STATIC = {26: "JPEG", 32: "MPV", 34: "H263"}
_CODEC_ALIASES = {"HEVC": "H265", "H264": "H264", "H265": "H265", "JPEG": "JPEG", "MJPEG": "JPEG"}


@dataclass(frozen=True)
class VideoMedia:
    payload_type: int | None
    codec: str | None  # H264 | H265 | JPEG | ... (upper case), None when unnamed
    control: str | None
    fmtp: str | None
    clock_rate: int = 90_000  # a=rtpmap:<pt> <name>/<rate>; video is 90 kHz (RFC 3551)


def parse_sdp(text: str) -> tuple[str | None, list[VideoMedia]]:
    """(session-level ``a=control``, the video media in order)."""
    session_control: str | None = None
    videos: list[VideoMedia] = []
    current: dict[str, str] | None = None  # attributes of the current video m= section
    in_media = False
    pts: list[int] = []

    def flush() -> None:
        if current is None:
            return
        pt = pts[0] if pts else None
        enc = current.get(f"rtpmap:{pt}")
        name = enc.split("/")[0].strip().upper() if enc else _STATIC.get(pt or -1)
        codec = _CODEC_ALIASES.get(name, name) if name else None
        rate = enc.split("/")[1].strip() if enc and enc.count("/") >= 1 else ""
        clock = int(rate) if rate.isdigit() and 0 < int(rate) <= 10_000_000 else 90_000
        control, fmtp = current.get("control"), current.get(f"fmtp:{pt}")
        videos.append(VideoMedia(pt, codec, control, fmtp, clock))

    for raw in text.splitlines():
        line = raw.strip()
        if len(line) < 2 or line[1] != "=":
            continue
        kind, value = line[0], line[2:]
        if kind == "m":
            flush()
            in_media = True
            fields = value.split()
            current = {} if fields and fields[0].lower() == "video" else None
            pts = [int(f) for f in fields[3:] if f.isdigit()]
        elif kind == "a":
            name, _, rest = value.partition(":")
            name = name.strip().lower()
            if name in ("rtpmap", "fmtp"):
                pt_s, _, rest = rest.strip().partition(" ")
                name = f"{name}:{pt_s}"
            if not in_media and name == "control":
                session_control = rest.strip()
            elif current is not None:
                current.setdefault(name, rest.strip())
    flush()
    return session_control, videos


def resolve_control(base: str, control: str | None) -> str:
    """The URL a media or session ``a=control`` names, relative to ``base``.

    ``*`` or nothing means the base itself; an absolute ``rtsp://`` control is used as is.
    A relative one is appended with a ``/`` as FFmpeg and live555 do: RFC 3986 resolution would
    drop the base's last segment (``.../stream1`` + ``trackID=1``), which most cameras reject.
    """
    if not control or control == "*":
        return base
    if "://" in control:
        return control
    if base.endswith("/"):
        return base + control.lstrip("/")
    return f"{base}/{control.lstrip('/')}"
