"""The simulator's video: committed H.264/H.265 clips, split and packetized as RTP (RFC 6184/7798).

The clips (``fleetctl/sim/assets/WxH.h264|h265``, made by ``tools/make_h264_assets.py``) are raw
Annex B. They are parsed once per process into access units and shared, read-only, by every
simulated camera. What varies per camera (bitrate, interleaved channel) is a small ``Track``,
built once per distinct shape and cached, so 2,000 cameras streaming the same clip cost the
bytes of one clip per shape, plus a few integers per session.

Bitrate: the clips are tiny (a flat test pattern at high CRF). To reach the configured
``bitrate_kbps`` each access unit is followed by one filler-data NAL unit (H.264 type 12,
H.265 type 38): decoders discard it, but it travels in RTP like picture data, so a client
measuring bytes per second sees the configured rate. This beats re-encoding (no codec at run
time) and scaling (the picture would not change size). Below the clip's own rate no filler is
added and the stream runs at the clip's natural rate.
"""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass
from functools import cached_property
from importlib import resources

from fleetctl.sim.camera.model import EncoderConfig, SimCamera

H264, H265 = "H264", "H265"
RTP_PAYLOAD_TYPE = 96
# Cameras keep RTP packets under a typical Ethernet MTU even over TCP interleaved.
MAX_PAYLOAD = 1400
_RTP_HEADER = struct.Struct(">BBHII")  # V/P/X/CC, M/PT, seq, timestamp, SSRC
_INTERLEAVED = struct.Struct(">cBH")  # '$', channel, length (RFC 2326 §10.12)
_SEQ_TS_SSRC = struct.Struct(">HII")  # the per-session part of an RTP header


def split_annexb(data: bytes) -> list[bytes]:
    """NAL units of an Annex B byte stream, start codes (3 or 4 bytes) removed."""
    nals: list[bytes] = []
    start = data.find(b"\x00\x00\x01")
    while start >= 0:
        begin = start + 3
        nxt = data.find(b"\x00\x00\x01", begin)
        end = len(data) if nxt < 0 else nxt
        # A 4-byte start code leaves a trailing zero on the previous NAL (trailing_zero_8bits).
        nal = data[begin:end].rstrip(b"\x00") if nxt >= 0 else data[begin:end]
        if nal:
            nals.append(nal)
        start = nxt
    return nals


def nal_type(nal: bytes, codec: str) -> int:
    return (nal[0] >> 1) & 0x3F if codec == H265 else nal[0] & 0x1F


def _is_vcl(kind: int, codec: str) -> bool:
    return kind < 32 if codec == H265 else 1 <= kind <= 5


def _is_keyframe(kind: int, codec: str) -> bool:
    return 16 <= kind <= 21 if codec == H265 else kind == 5


def _first_slice(nal: bytes, codec: str) -> bool:
    # H.264: first_mb_in_slice is ue(v) right after the 1-byte header; ue "0" is a single 1 bit.
    # H.265: first_slice_segment_in_pic_flag is the first bit after the 2-byte header.
    return bool(nal[2] & 0x80) if codec == H265 else bool(nal[1] & 0x80)


def _starts_access_unit(kind: int, codec: str) -> bool:
    """Non-VCL NAL types that may only precede the first slice of an access unit."""
    if codec == H265:
        return kind in (32, 33, 34, 35, 39) or 41 <= kind <= 44
    return kind in (6, 7, 8, 9) or 14 <= kind <= 18


@dataclass(frozen=True)
class AccessUnit:
    nals: tuple[bytes, ...]
    keyframe: bool

    @property
    def size(self) -> int:
        return sum(len(n) for n in self.nals)


def access_units(nals: list[bytes], codec: str) -> list[AccessUnit]:
    """Group NAL units into access units (ITU-T H.264 §7.4.1.2.3, H.265 §7.4.2.4.4)."""
    units: list[AccessUnit] = []
    current: list[bytes] = []
    has_vcl = False
    for nal in nals:
        kind = nal_type(nal, codec)
        vcl = _is_vcl(kind, codec)
        if has_vcl and (_starts_access_unit(kind, codec) or (vcl and _first_slice(nal, codec))):
            units.append(_unit(current, codec))
            current, has_vcl = [], False
        current.append(nal)
        has_vcl = has_vcl or vcl
    if has_vcl:
        units.append(_unit(current, codec))
    return units


def _unit(nals: list[bytes], codec: str) -> AccessUnit:
    key = any(_is_keyframe(nal_type(n, codec), codec) for n in nals)
    return AccessUnit(tuple(nals), key)


def filler_nal(size: int, codec: str) -> bytes:
    """A filler-data NAL unit of exactly ``size`` bytes (>= 3): header, 0xFF..., stop bit."""
    header = b"\x4c\x01" if codec == H265 else b"\x0c"  # H.265 FD_NUT 38, TID 1 / H.264 type 12
    return header + b"\xff" * max(0, size - len(header) - 1) + b"\x80"


def rtp_payloads(nal: bytes, codec: str, max_payload: int = MAX_PAYLOAD) -> list[bytes]:
    """RTP payloads carrying one NAL unit: itself if it fits, else fragmentation units.

    H.264 FU-A (RFC 6184 §5.8): indicator = F|NRI|28, header = S|E|R|type.
    H.265 FU (RFC 7798 §4.4.3): payload header = the NAL header with type 49, then S|E|type.
    """
    if len(nal) <= max_payload:
        return [nal]
    if codec == H265:
        head = bytes([(nal[0] & 0x81) | (49 << 1), nal[1]])
        kind, body = (nal[0] >> 1) & 0x3F, nal[2:]
    else:
        head = bytes([(nal[0] & 0xE0) | 28])
        kind, body = nal[0] & 0x1F, nal[1:]
    step = max_payload - len(head) - 1
    chunks = [body[i : i + step] for i in range(0, len(body), step)]
    out = []
    for i, chunk in enumerate(chunks):
        flags = (0x80 if i == 0 else 0) | (0x40 if i == len(chunks) - 1 else 0)
        out.append(head + bytes([flags | kind]) + chunk)
    return out


@dataclass(frozen=True)
class Clip:
    """One committed clip, parsed: its access units in decode (= presentation) order."""

    name: str
    codec: str
    width: int
    height: int
    units: tuple[AccessUnit, ...]

    @classmethod
    def parse(cls, name: str, data: bytes) -> Clip:
        # "640x360.h264", or a picture clip's "picture/black.640x360.h264"
        stem, _, ext = name.rpartition("/")[2].rpartition(".")
        size = stem.rpartition(".")[2]
        width, height = (int(v) for v in size.split("x"))
        codec = H265 if ext == "h265" else H264
        units = access_units(split_annexb(data), codec)
        params = cls._parameter_sets(units, codec)
        # Cameras send SPS/PPS (and VPS) in-band before every IDR so a client joining late can
        # decode; make sure each keyframe carries them, whatever the encoder did.
        fixed = []
        for au in units:
            if au.keyframe and nal_type(au.nals[0], codec) not in (7, 32, 33, 34):
                au = AccessUnit(params + au.nals, True)
            fixed.append(au)
        return cls(name, codec, width, height, tuple(fixed))

    @staticmethod
    def _parameter_sets(
        units: tuple[AccessUnit, ...] | list[AccessUnit], codec: str
    ) -> tuple[bytes, ...]:
        wanted = (32, 33, 34) if codec == H265 else (7, 8)
        found: dict[int, bytes] = {}
        for au in units:
            for nal in au.nals:
                kind = nal_type(nal, codec)
                if kind in wanted:
                    found.setdefault(kind, nal)
        return tuple(found[k] for k in wanted if k in found)

    @cached_property
    def parameter_sets(self) -> tuple[bytes, ...]:
        """(SPS, PPS) for H.264, (VPS, SPS, PPS) for H.265."""
        return self._parameter_sets(self.units, self.codec)

    @cached_property
    def average_au_bytes(self) -> float:
        return sum(au.size for au in self.units) / len(self.units)

    def fmtp(self) -> str:
        """The SDP ``a=fmtp`` parameters a client needs before the first keyframe."""
        b64 = [base64.b64encode(p).decode() for p in self.parameter_sets]
        if self.codec == H265:
            return f"sprop-vps={b64[0]};sprop-sps={b64[1]};sprop-pps={b64[2]}"
        sps = self.parameter_sets[0]
        return (
            f"packetization-mode=1;profile-level-id={sps[1:4].hex().upper()};"
            f"sprop-parameter-sets={','.join(b64)}"
        )


@dataclass(frozen=True)
class PacketizedUnit:
    """An access unit as ready-to-send interleaved RTP frames with seq/timestamp/SSRC zeroed.

    ``offsets`` are the RTP header positions inside ``template``; the sender copies the
    template and patches those three fields per packet (one ``pack_into`` each), so no
    per-session copy of the media is ever kept.
    """

    template: bytes
    offsets: tuple[int, ...]
    keyframe: bool

    @cached_property
    def payload_bytes(self) -> int:
        """RTP payload octets (what an RTCP sender report counts)."""
        return len(self.template) - len(self.offsets) * (_INTERLEAVED.size + _RTP_HEADER.size)

    @cached_property
    def _seq_offsets(self) -> tuple[int, ...]:
        return tuple(off + 2 for off in self.offsets)  # where each packet's seq field starts

    def render(self, seq: int, timestamp: int, ssrc: int) -> bytearray:
        buf = bytearray(self.template)
        pack_into = _SEQ_TS_SSRC.pack_into
        offsets = self._seq_offsets
        if seq + len(offsets) <= 0x10000:  # no wrap inside this unit: no mask per packet
            for off in offsets:
                pack_into(buf, off, seq, timestamp, ssrc)
                seq += 1
        else:
            for off in offsets:
                pack_into(buf, off, seq & 0xFFFF, timestamp, ssrc)
                seq += 1
        return buf


@dataclass(frozen=True)
class Track:
    """A clip padded to a bitrate and framed for one interleaved channel: shared by sessions."""

    clip: Clip
    units: tuple[PacketizedUnit, ...]
    filler_bytes: int

    @classmethod
    def build(cls, clip: Clip, filler_bytes: int, channel: int) -> Track:
        filler = filler_nal(filler_bytes, clip.codec) if filler_bytes >= 3 else None
        units = []
        for au in clip.units:
            payloads = [p for nal in au.nals for p in rtp_payloads(nal, clip.codec)]
            if filler is not None:
                payloads += rtp_payloads(filler, clip.codec)
            parts: list[bytes] = []
            offsets: list[int] = []
            pos = 0
            for i, payload in enumerate(payloads):
                marker = 0x80 if i == len(payloads) - 1 else 0  # RFC 6184 §5.1: last of the AU
                rtp = _RTP_HEADER.pack(0x80, marker | RTP_PAYLOAD_TYPE, 0, 0, 0)
                parts += [_INTERLEAVED.pack(b"$", channel, len(rtp) + len(payload)), rtp, payload]
                offsets.append(pos + _INTERLEAVED.size)
                pos += _INTERLEAVED.size + len(rtp) + len(payload)
            units.append(PacketizedUnit(b"".join(parts), tuple(offsets), au.keyframe))
        return cls(clip, tuple(units), filler_bytes)


class MediaLibrary:
    """The committed clips, loaded lazily once, and the tracks built from them (cached).

    Cheap to construct; share one per process (``default_library()``). Not thread-safe: use it
    from the event loop that runs the simulator.
    """

    def __init__(self) -> None:
        self._clips: dict[str, Clip] = {}
        self._tracks: dict[tuple[str, int, int], Track] = {}
        self._closest: dict[tuple[str, int, int], Clip] = {}
        root = resources.files("fleetctl.sim") / "assets"
        self._names = sorted(p.name for p in root.iterdir() if p.name.endswith((".h264", ".h265")))

    def clip_for(self, encoding: str, width: int, height: int) -> Clip:
        """The clip closest to the configured resolution; H.265 only if asked and present.

        Encodings without a clip (JPEG, MPEG4) stream H.264, as a camera that ignored the
        setting would: the DESCRIBE shows what is really sent.
        """
        key = (encoding, width, height)
        cached = self._closest.get(key)
        if cached is not None:
            return cached  # asked at every frame of every stream: no string parsing then
        ext = "h265" if encoding.upper() in ("H265", "HEVC") else "h264"
        names = [n for n in self._names if n.endswith(ext)] or [
            n for n in self._names if n.endswith("h264")
        ]

        def distance(name: str) -> tuple[int, int]:
            w, h = (int(v) for v in name.partition(".")[0].split("x"))
            return abs(w * h - width * height), abs(w - width)

        clip = self._closest[key] = self._clip(min(names, key=distance))
        return clip

    def picture(self, kind: str) -> Clip:
        """The clip of an unusable picture (``black``, ``flat``, ``blurred``): a healthy stream
        whose picture a camera with a covered, dark, blank or fogged view would send."""
        return self._clip(f"picture/{kind}.640x360.h264")

    def _clip(self, name: str) -> Clip:
        clip = self._clips.get(name)
        if clip is None:
            root = resources.files("fleetctl.sim") / "assets"
            for part in name.split("/"):
                root = root / part
            data = root.read_bytes()
            clip = self._clips[name] = Clip.parse(name, data)
        return clip

    def track(self, clip: Clip, bitrate_kbps: float, fps: float, channel: int) -> Track:
        """The clip padded so that ``fps`` access units per second carry ``bitrate_kbps``."""
        target = bitrate_kbps * 1000 / 8 / max(fps, 0.1)
        # Quantized to 64 bytes so near-identical settings share one track.
        filler = max(0, int(target - clip.average_au_bytes)) // 64 * 64
        key = (clip.name, filler, channel)
        track = self._tracks.get(key)
        if track is None:
            if len(self._tracks) >= 64:  # bound memory if a test sweeps many bitrates
                self._tracks.pop(next(iter(self._tracks)))
            track = self._tracks[key] = Track.build(clip, filler, channel)
        return track


# The picture faults and the clip each streams instead of the live test pattern.
PICTURE_FAULTS = {"picture_black": "black", "picture_flat": "flat", "picture_blurred": "blurred"}


def clip_of(media: MediaLibrary, cam: SimCamera, enc: EncoderConfig) -> Clip:
    """What ``cam`` streams for ``enc``: its picture fault's clip, else the closest live one."""
    if cam.faults:
        for fault, kind in PICTURE_FAULTS.items():
            if fault in cam.faults:
                return media.picture(kind)
    return media.clip_for(enc.encoding, enc.width, enc.height)


_DEFAULT: MediaLibrary | None = None


def default_library() -> MediaLibrary:
    """The process-wide library: every simulated camera shares its clips and tracks."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = MediaLibrary()
    return _DEFAULT
