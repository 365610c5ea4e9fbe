"""Generate the simulator's video assets (committed as package data in fleetctl/sim/assets/).

Run once, by hand, when the assets must change::

    /tmp/venv/bin/python tools/make_h264_assets.py

PyAV's bundled libx264/libx265 encode a synthetic, moving test pattern: colour bars with a white
box sliding across and a stripe sliding down, so every frame differs (a checker that hashes
payloads can tell a live picture from a frozen one) while the flat areas compress to almost
nothing. Each clip is 2 s at 25 fps with one IDR every 50 frames (GOP = fps * 2, as cameras ship),
no B-frames (cameras' live streams have none, so decode order == presentation order and RTP
timestamps simply grow), SPS/PPS repeated before every IDR. The simulator pads to the configured
bitrate with filler NAL units at run time, so the clips themselves can stay tiny (high CRF).
Output is raw Annex B (``.h264`` / ``.h265``): what cameras put on the wire, playable by
``ffplay``, and parseable without a demuxer. No ffmpeg binary is needed, here or at run time.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import av
from av.video.stream import VideoStream

FPS = 25
SECONDS = 2
GOP = FPS * 2
# The resolutions vendors' profiles use: 4 MP Hikvision and Dahua mains, 1080p, 720p, D1 PAL (Dahua sub),
# VGA and 360p sub-streams.
H264_SIZES = [
    (2688, 1520),
    (2560, 1440),
    (1920, 1080),
    (1280, 720),
    (704, 576),
    (640, 480),
    (640, 360),
]
H265_SIZES = [(1920, 1080), (640, 360)]
OUT = Path(__file__).resolve().parent.parent / "fleetctl" / "sim" / "assets"

# (Y, U, V) of eight colour bars, in BT.601 limited range.
BARS = [
    (180, 128, 128),
    (168, 44, 136),
    (145, 147, 44),
    (133, 63, 52),
    (63, 193, 204),
    (51, 109, 212),
    (28, 212, 120),
    (16, 128, 128),
]


def _plane_rows(width: int, index: int) -> bytes:
    """One row of the bars for plane ``index`` (0 = Y at full width, 1/2 = U/V at half width)."""
    bar = max(1, width // len(BARS))
    row = b"".join(bytes([c[index]]) * bar for c in BARS)
    return (row + bytes([BARS[-1][index]]) * width)[:width]


def _frame(width: int, height: int, n: int) -> av.VideoFrame:
    frame = av.VideoFrame(width, height, "yuv420p")
    box = height // 6
    box_x = (n * width // (FPS * SECONDS)) % max(1, width - box)
    stripe_y = (n * height // (FPS * SECONDS)) % max(1, height - 8)
    for index, plane in enumerate(frame.planes):
        scale = 1 if index == 0 else 2
        w, h = width // scale, height // scale
        bg = _plane_rows(w, index)
        white = 235 if index == 0 else 128
        bx, bw = box_x // scale, box // scale
        with_box = bg[:bx] + bytes([white]) * bw + bg[bx + bw :]
        stripe = bytes([white if index == 0 else 90]) * w
        y0, y1 = (height // 2 - box // 2) // scale, (height // 2 + box // 2) // scale
        sy0, sy1 = stripe_y // scale, (stripe_y + 8) // scale
        rows = [with_box if y0 <= y < y1 else stripe if sy0 <= y < sy1 else bg for y in range(h)]
        pad = plane.line_size - w  # libav aligns rows; padding bytes are never shown
        plane.update(b"".join(r + bytes(pad) for r in rows))
    return frame


# Unusable pictures from a healthy stream (``assets/picture/``), at one small size: a covered lens
# or a dead IR at night (black, with the camera's burned-in clock still ticking), a "no signal"
# screen of one flat colour, a fogged or defocused lens (the bars, blurred, panning slowly so that
# every frame still differs). The picture probe must call each of them out; the stream is fine.
PICTURE_SIZE = (640, 360)
PICTURES = ("black", "flat", "blurred")


def _blur_row(row: bytes, radius: int) -> bytes:
    """A box blur of one row (repeated three times: close to a Gaussian)."""
    values = list(row)
    for _ in range(3):
        n = len(values)
        values = [
            sum(values[max(0, i - radius) : min(n, i + radius + 1)])
            // (min(n, i + radius + 1) - max(0, i - radius))
            for i in range(n)
        ]
    return bytes(values)


def _picture_frame(kind: str, width: int, height: int, n: int) -> av.VideoFrame:
    frame = av.VideoFrame(width, height, "yuv420p")
    for index, plane in enumerate(frame.planes):
        scale = 1 if index == 0 else 2
        w, h = width // scale, height // scale
        if kind == "blurred":
            bars = _blur_row(_plane_rows(w, index), 24 // scale)
            shift = (n // scale) % w
            row = bars[shift:] + bars[:shift]
            rows = [row] * h
        else:
            level = {"black": (17, 128, 128), "flat": (41, 240, 110)}[kind][index]
            rows = [bytes([level]) * w] * h
            # The burned-in clock: a small bright block whose pattern changes every frame.
            if index == 0:
                clock = bytes(200 if (x + n) % 7 < 3 else 60 for x in range(48))
                for y in range(8 // scale, 20 // scale):
                    rows[y] = rows[y][: 8 // scale] + clock + rows[y][8 // scale + len(clock) :]
        pad = plane.line_size - w
        plane.update(b"".join(r[:w] + bytes(pad) for r in rows))
    return frame


def encode(codec: str, width: int, height: int, path: Path, picture: str | None = None) -> int:
    container = av.open(str(path), "w", format="h264" if codec == "libx264" else "hevc")
    stream = container.add_stream(codec, rate=FPS)
    assert isinstance(stream, VideoStream)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    if codec == "libx264":
        stream.options = {
            "preset": "medium",
            "crf": "34",
            "profile": "main",
            "x264-params": f"bframes=0:keyint={GOP}:min-keyint={GOP}:scenecut=0:repeat-headers=1",
        }
    else:
        stream.options = {
            "preset": "medium",
            "crf": "36",
            "x265-params": f"bframes=0:keyint={GOP}:min-keyint={GOP}:scenecut=0:repeat-headers=1:log-level=error",
        }
    for n in range(FPS * SECONDS):
        frame = (
            _frame(width, height, n)
            if picture is None
            else _picture_frame(picture, width, height, n)
        )
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)
    container.close()
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--pictures-only", action="store_true", help="only the unusable pictures (picture/)"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    total = 0
    jobs = [("libx264", w, h, f"{w}x{h}.h264") for w, h in H264_SIZES]
    if "libx265" in av.codecs_available:
        jobs += [("libx265", w, h, f"{w}x{h}.h265") for w, h in H265_SIZES]
    for codec, width, height, name in jobs:
        if args.pictures_only:
            break
        size = encode(codec, width, height, args.out / name)
        total += size
        print(f"{name:>16}  {size / 1024:8.1f} KiB")
    (args.out / "picture").mkdir(exist_ok=True)
    for kind in PICTURES:
        w, h = PICTURE_SIZE
        name = f"picture/{kind}.{w}x{h}.h264"
        size = encode("libx264", w, h, args.out / name, picture=kind)
        total += size
        print(f"{name:>16}  {size / 1024:8.1f} KiB")
    print(f"{'total':>16}  {total / 1024:8.1f} KiB")


if __name__ == "__main__":
    main()
