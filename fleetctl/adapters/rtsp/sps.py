"""Sequence parameter sets of H.264 (ITU-T H.264 7.3.2.1.1) and H.265 (7.3.2.2): picture size.

Pure and defensive: bytes from a camera (an RTP packet or an SDP ``sprop-*`` attribute) that are
not a parseable SPS give ``None``, never an exception. The RBSP is read as one big integer, so
there is no per-bit Python loop beyond the exp-Golomb prefixes.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re

_H264_SPS, _H265_SPS = 7, 33
_EMULATION = re.compile(b"\x00\x00\x03")


class _Bits:
    """MSB-first bit reader over an RBSP held as one big integer (no per-byte loop)."""

    __slots__ = ("_n", "_pos", "_v")

    def __init__(self, data: bytes) -> None:
        self._v = int.from_bytes(data, "big")
        self._n = len(data) * 8
        self._pos = 0

    def u(self, n: int) -> int:
        if n == 0:
            return 0
        if self._pos + n > self._n:
            raise ValueError("SPS truncated")
        self._pos += n
        return (self._v >> (self._n - self._pos)) & ((1 << n) - 1)

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise ValueError("exp-Golomb code too long")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k & 1 else -(k // 2)


def unescape_rbsp(nal: bytes) -> bytes:
    """Drop emulation prevention bytes: 00 00 03 -> 00 00 (H.264 7.4.1, H.265 7.4.2)."""
    return _EMULATION.sub(b"\x00\x00", nal)


# H.264 profiles whose SPS carries chroma_format_idc and bit depths (7.3.2.1.1).
_HIGH_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})


def parse_sps(nal: bytes, codec: str = "H264") -> tuple[int, int] | None:
    """(width, height) in pixels after cropping, from an SPS NAL unit with its header; None if
    the bytes are not a parseable SPS.

    Memoized: every camera of a model announces the same SPS (in the SDP and again in-band), so
    a fleet check parses a handful of distinct ones, not two per camera."""
    if len(nal) > _MAX_CACHED_SPS:  # real ones are a few dozen bytes: no cache for oddities
        return _parse_sps(bytes(nal), codec.upper() == "H265")
    return _parse_sps_cached(bytes(nal), codec.upper() == "H265")


def _parse_sps(nal: bytes, h265: bool) -> tuple[int, int] | None:
    try:
        if h265:
            return _sps_h265(_Bits(unescape_rbsp(nal[2:])))
        return _sps_h264(_Bits(unescape_rbsp(nal[1:])))
    except ValueError:
        return None


_parse_sps_cached = functools.lru_cache(maxsize=256)(_parse_sps)
_MAX_CACHED_SPS = 256


def _sps_h264(b: _Bits) -> tuple[int, int]:
    profile = b.u(8)
    b.u(16)  # constraint flags, level_idc
    b.ue()  # seq_parameter_set_id
    chroma = 1
    if profile in _HIGH_PROFILES:
        chroma = b.ue()
        if chroma == 3:
            b.u(1)  # separate_colour_plane_flag
        b.ue()
        b.ue()  # bit depths
        b.u(1)  # qpprime_y_zero_transform_bypass_flag
        if b.u(1):  # seq_scaling_matrix_present_flag
            for i in range(8 if chroma != 3 else 12):
                if b.u(1):
                    last = nxt = 8
                    for _ in range(16 if i < 6 else 64):
                        if nxt:
                            nxt = (last + b.se() + 256) % 256
                        last = nxt or last
    b.ue()  # log2_max_frame_num_minus4
    poc_type = b.ue()
    if poc_type == 0:
        b.ue()
    elif poc_type == 1:
        b.u(1)
        b.se()
        b.se()
        for _ in range(b.ue()):
            b.se()
    b.ue()  # max_num_ref_frames
    b.u(1)  # gaps_in_frame_num_value_allowed_flag
    w_mbs, h_units = b.ue() + 1, b.ue() + 1
    frame_mbs_only = b.u(1)
    if not frame_mbs_only:
        b.u(1)  # mb_adaptive_frame_field_flag
    b.u(1)  # direct_8x8_inference_flag
    width, height = w_mbs * 16, (2 - frame_mbs_only) * h_units * 16
    if b.u(1):  # frame_cropping_flag
        left, right, top, bottom = b.ue(), b.ue(), b.ue(), b.ue()
        sub_w = 2 if chroma in (1, 2) else 1
        sub_h = 2 if chroma == 1 else 1
        crop_x = sub_w if chroma else 1
        crop_y = (sub_h if chroma else 1) * (2 - frame_mbs_only)
        width -= crop_x * (left + right)
        height -= crop_y * (top + bottom)
    if width <= 0 or height <= 0:
        raise ValueError("SPS gives no picture")
    return width, height


def _sps_h265(b: _Bits) -> tuple[int, int]:
    b.u(4)  # sps_video_parameter_set_id
    max_sub_layers_minus1 = b.u(3)
    b.u(1)  # temporal_id_nesting
    b.u(88)  # general profile: space, tier, idc, compatibility flags, constraint flags
    b.u(8)  # general_level_idc
    present = [(b.u(1), b.u(1)) for _ in range(max_sub_layers_minus1)]
    if max_sub_layers_minus1 > 0:
        b.u(2 * (8 - max_sub_layers_minus1))  # reserved_zero_2bits
    for profile_present, level_present in present:
        b.u(88 * profile_present + 8 * level_present)
    b.ue()  # sps_seq_parameter_set_id
    chroma = b.ue()
    if chroma == 3:
        b.u(1)
    width, height = b.ue(), b.ue()
    if b.u(1):  # conformance_window_flag
        left, right, top, bottom = b.ue(), b.ue(), b.ue(), b.ue()
        sub_w = 2 if chroma in (1, 2) else 1
        sub_h = 2 if chroma == 1 else 1
        width -= sub_w * (left + right)
        height -= sub_h * (top + bottom)
    if width <= 0 or height <= 0:
        raise ValueError("SPS gives no picture")
    return width, height


def sps_from_fmtp(fmtp: str, codec: str) -> bytes | None:
    """The SPS NAL from an SDP ``a=fmtp`` line (H.264 ``sprop-parameter-sets``, H.265 ``sprop-sps``)."""
    key = "sprop-sps" if codec.upper() == "H265" else "sprop-parameter-sets"
    for part in fmtp.split(";"):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() != key:
            continue
        for b64 in value.strip().split(","):
            try:
                nal = base64.b64decode(b64 + "=" * (-len(b64) % 4))
            except (binascii.Error, ValueError):
                continue
            if not nal:
                continue
            t = (nal[0] >> 1) & 0x3F if codec.upper() == "H265" else nal[0] & 0x1F
            if t == (_H265_SPS if codec.upper() == "H265" else _H264_SPS):
                return nal
    return None
