"""Many RTSP streams probed at once by one process: fleetctl's client vs FFmpeg's demuxer,
and fleetctl's RTP path (demux + count) vs the per-packet one it replaced.

    python benchmarks/bench_rtsp_probe.py --streams 500 --window 1.0
    python benchmarks/bench_rtsp_probe.py --streams 100 --baseline 20 --profile main
    python benchmarks/bench_rtsp_probe.py --streams 300 --profile main --windows 1,3 --baseline 0 --replay no
    python benchmarks/bench_rtsp_probe.py --replay only

Replay (first, no network, deterministic): the bytes one simulated Hikvision main stream sends
(2688x1520 H.264, 25 fps, 4 Mbit/s, ~17 RTP packets a frame), a live and a frozen one, handed
over in reads of ``--chunk-frames`` frames, demultiplexed and counted by (a) fleetctl's path
(``Receiver`` -> ``RtspConnection`` -> ``VideoCounter.feed_interleaved``, counting in place) and
(b) the named baseline "per-packet (9e335c7)": StreamReader read, buffer append, one
``VideoCounter.feed`` per packet (``benchmarks/rtp_baseline.py``, a frozen copy). Printed: CPU ms
per stream-second for each, and the verdict inputs, which must be identical.

A child process serves N simulated cameras (fleetctl.sim RTSP, real H.264 over TCP interleaved,
Digest) on 127.16.x.y, so the client's CPU is measured alone. The client probes all N at once
(``probe_stream``: OPTIONS, DESCRIBE with Digest, SETUP, PLAY, count RTP for ``--window``).

Baseline, named in the output: PyAV (libavformat's RTSP demuxer, what ``ffprobe`` runs) opening
each stream over TCP and reading packets for the same window, ``--baseline`` streams, one
thread each. Printed: wall time, CPU seconds of this process, CPU per stream, peak RSS growth,
RTP packets counted. ``--windows 1,3`` runs the fleetctl part once per window and prints the
slope: CPU ms per stream-second of measuring, handshakes excluded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import threading
import time

_SIM = r"""
import asyncio, random, sys
from fleetctl.sim.camera.model import address_for, Vendor
from fleetctl.sim.rtsp.server import default_library, start_rtsp
from fleetctl.sim.vendors.flavours import make_camera

async def main(n, port, first):
    lib = default_library()
    servers = []
    for i in range(n):
        idx = first + i
        cam = make_camera(idx, f"b{idx}", "bench", address_for(idx), Vendor.HIKVISION,
                          random.Random(idx), "bench", "B3nch:p@ss", rtsp_port=port)
        servers.append(await start_rtsp(cam, lib))
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))
"""

PORT, FIRST = 18554, 6400


def _uri(i: int, path: str, userinfo: bool = False) -> str:
    from fleetctl.sim.camera.model import address_for

    auth = "bench:B3nch%3Ap%40ss@" if userinfo else ""
    return f"rtsp://{auth}{address_for(FIRST + i)}:{PORT}{path}"


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) of another process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _fleetctl(n: int, path: str, window: float) -> tuple[float, float]:
    """Probe all N at once; returns (CPU seconds, stream-seconds measured)."""
    from fleetctl.adapters.rtsp.client import probe_stream
    from fleetctl.core.models import Credential
    from fleetctl.core.secret import Secret

    cred = Credential("bench", "bench", Secret("B3nch:p@ss"))
    rss0, cpu0, t0 = _peak_rss_mb(), time.process_time(), time.perf_counter()
    probes = await asyncio.gather(
        *(
            probe_stream(_uri(i, path), cred, window_s=window, timeout_s=window + 10)
            for i in range(n)
        )
    )
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    ok = sum(p.ok for p in probes)
    fps = sorted(p.fps or 0.0 for p in probes)
    first = sorted(p.first_rtp_ms or 0.0 for p in probes if p.ok)
    print(
        f"fleetctl  : {n} streams, {ok} ok, wall {wall:.2f} s, CPU {cpu:.2f} s "
        f"({cpu / n * 1000:.1f} ms/stream), peak RSS +{_peak_rss_mb() - rss0:.0f} MiB, "
        f"fps median {fps[len(fps) // 2]:.1f}, first RTP median {first[len(first) // 2] if first else 0:.0f} ms "
        f"p95 {first[int(len(first) * 0.95)] if first else 0:.0f} ms"
    )
    packets, seconds = sum(p.packets for p in probes), sum(p.window_s for p in probes)
    print(f"            {packets} RTP packets in {seconds:.0f} stream-seconds")
    fails = [p for p in probes if not p.ok][:3]
    for p in fails:
        print(f"  failed: {p.stage} {p.failure} {p.error}")
    return cpu, seconds


# --------------------------------------------------------------------------------------- replay


def _replay_chunks(frozen: bool, seconds: float, chunk_frames: int) -> tuple[list[bytes], float]:
    """One simulated Hikvision main stream as the sim renders it, cut into reads."""
    from fleetctl.sim.rtsp.h264 import default_library

    lib = default_library()
    track = lib.track(lib.clip_for("H264", 2688, 1520), 4096, 25.0, 0)
    frames, seq, ts = [], 17, 90_000
    for i in range(int(seconds * 25)):
        unit = track.units[0 if frozen else i % len(track.units)]
        frames.append(bytes(unit.render(seq, ts, 0x5EED)))
        seq, ts = (seq + len(unit.offsets)) & 0xFFFF, ts + 3600
    chunks = [b"".join(frames[i : i + chunk_frames]) for i in range(0, len(frames), chunk_frames)]
    return chunks, seconds


def _fields(c: object) -> tuple[object, ...]:
    names = ("packets", "bytes", "seq_gaps", "frames", "keyframes", "distinct_payloads")
    return (*(getattr(c, k) for k in names), getattr(c, "width", None), getattr(c, "height", None))


async def _replay_new(chunks: list[bytes]) -> tuple[float, tuple[object, ...]]:
    from fleetctl.adapters.rtsp.rtp import VideoCounter
    from fleetctl.adapters.rtsp.wire import Receiver, RtspConnection

    loop = asyncio.get_running_loop()
    receiver = Receiver()
    conn = RtspConnection(receiver, None, "replay", None, loop.time)
    conn.counter, conn.video_channel = VideoCounter("H264"), 0
    task = asyncio.create_task(conn.stream(loop.time() + 3600))
    await asyncio.sleep(0)  # stream() is counting in the receive callback now
    cpu0 = time.process_time()
    for chunk in chunks:
        view = receiver.get_buffer(-1)
        view[: len(chunk)] = chunk  # what the kernel's recv_into does
        receiver.buffer_updated(len(chunk))
    cpu = time.process_time() - cpu0
    task.cancel()
    return cpu, _fields(conn.counter)


async def _replay_old(chunks: list[bytes]) -> tuple[float, tuple[object, ...]]:
    from rtp_baseline import OldConnection, OldVideoCounter

    reader = asyncio.StreamReader(limit=2**20)
    conn = OldConnection(reader, OldVideoCounter("H264"), 0)
    cpu0 = time.process_time()
    for chunk in chunks:
        reader.feed_data(bytes(chunk))  # what sock.recv does: a new bytes object per read
        await conn.fill()
        conn.pump()
    cpu = time.process_time() - cpu0
    return cpu, _fields(conn.counter)


def replay(chunk_frames: int, repeat: int = 5) -> None:
    print(f"replay: one main stream, reads of {chunk_frames} frame(s), best of {repeat}")
    for frozen in (False, True):
        chunks, seconds = _replay_chunks(frozen, 20.0, chunk_frames)
        runs = {"fleetctl": _replay_new, "per-packet (9e335c7)": _replay_old}
        best: dict[str, float] = {}
        fields: dict[str, tuple[object, ...]] = {}
        for _ in range(repeat):
            for name, fn in runs.items():
                cpu, fields[name] = asyncio.run(fn(chunks))
                best[name] = min(best.get(name, 1e9), cpu)
        new, old = best["fleetctl"], best["per-packet (9e335c7)"]
        same = len(set(fields.values())) == 1
        print(
            f"  {'frozen' if frozen else 'live  '}: fleetctl {new / seconds * 1000:.3f} ms, "
            f"baseline per-packet (9e335c7) {old / seconds * 1000:.3f} ms per stream-second "
            f"({old / new:.1f}x); verdict inputs {'identical' if same else 'DIFFER'}: "
            f"{fields['fleetctl']}"
        )
        if not same:
            raise SystemExit(f"verdict inputs differ: {fields}")


def _pyav(n: int, path: str, window: float) -> None:
    import av

    done: list[int] = []

    def one(i: int) -> None:
        try:
            with av.open(
                _uri(i, path, userinfo=True), options={"rtsp_transport": "tcp"}, timeout=10
            ) as c:
                end, count = time.monotonic() + window, 0
                for _ in c.demux(video=0):
                    count += 1
                    if time.monotonic() >= end:
                        break
                done.append(count)
        except Exception as err:  # the baseline's failures are printed, not fatal
            print(f"  pyav {i}: {err}")

    rss0, cpu0, t0 = _peak_rss_mb(), time.process_time(), time.perf_counter()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(
        f"baseline  : PyAV/libavformat RTSP (what ffprobe runs), {n} streams, {len(done)} ok, "
        f"wall {wall:.2f} s, CPU {cpu:.2f} s ({cpu / max(n, 1) * 1000:.1f} ms/stream), "
        f"peak RSS +{_peak_rss_mb() - rss0:.0f} MiB"
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--streams", type=int, default=500)
    ap.add_argument(
        "--baseline", type=int, default=20, help="streams for the PyAV baseline (0: skip)"
    )
    ap.add_argument("--window", type=float, default=1.0)
    ap.add_argument("--profile", choices=("main", "sub"), default="sub")
    ap.add_argument("--windows", help="e.g. 1,3: one fleetctl run per window, and the slope")
    ap.add_argument("--chunk-frames", type=int, default=2, help="replay: frames per read")
    ap.add_argument("--replay", choices=("yes", "no", "only"), default="yes")
    args = ap.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # rtp_baseline
    if args.replay != "no":
        replay(args.chunk_frames)
    if args.replay == "only":
        return
    path = "/Streaming/Channels/101" if args.profile == "main" else "/Streaming/Channels/102"
    n = max(args.streams, args.baseline)
    sim = subprocess.Popen(
        [sys.executable, "-c", _SIM, str(n), str(PORT), str(FIRST)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sim.stdout is not None
        if sim.stdout.readline().strip() != "ready":  # the signal: every camera is listening
            raise SystemExit("simulator did not start")
        print(f"{n} simulated Hikvision cameras ({args.profile} stream), window {args.window:g} s")
        sim_cpu0 = _cpu_of(sim.pid)
        windows = [float(w) for w in args.windows.split(",")] if args.windows else [args.window]
        runs = [asyncio.run(_fleetctl(args.streams, path, w)) for w in windows]
        if len(runs) > 1:
            (cpu_a, sec_a), (cpu_b, sec_b) = runs[0], runs[-1]
            print(
                f"measuring : {(cpu_b - cpu_a) / (sec_b - sec_a) * 1000:.3f} CPU ms per "
                f"stream-second (the slope between windows {windows[0]:g} and {windows[-1]:g} s)"
            )
        # When this nears the wall time the simulator, not the client, limits fps and latency.
        print(f"simulator : CPU {_cpu_of(sim.pid) - sim_cpu0:.2f} s during the fleetctl run")
        if args.baseline:
            _pyav(args.baseline, path, args.window)
    finally:
        if sim.stdin is not None:
            sim.stdin.close()
        sim.wait(timeout=30)


if __name__ == "__main__":
    main()
