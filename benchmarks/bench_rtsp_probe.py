"""Many RTSP streams probed at once by one process: fleetctl's client vs FFmpeg's demuxer.

    python benchmarks/bench_rtsp_probe.py --streams 500 --window 1.0
    python benchmarks/bench_rtsp_probe.py --streams 100 --baseline 20 --profile main

A child process serves N simulated cameras (fleetctl.sim RTSP, real H.264 over TCP interleaved,
Digest) on 127.16.x.y, so the client's CPU is measured alone. The client probes all N at once
(``probe_stream``: OPTIONS, DESCRIBE with Digest, SETUP, PLAY, count RTP for ``--window``).

Baseline, named in the output: PyAV (libavformat's RTSP demuxer, what ``ffprobe`` runs) opening
each stream over TCP and reading packets for the same window, ``--baseline`` streams, one
thread each. Printed: wall time, CPU seconds of this process, CPU per stream, peak RSS growth.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import subprocess
import sys
import threading
import time

_SIM = r"""
import asyncio, random, sys
from fleetctl.sim.model import address_for, Vendor
from fleetctl.sim.rtsp import default_library, start_rtsp
from fleetctl.sim.vendors import make_camera

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
    from fleetctl.sim.model import address_for

    auth = "bench:B3nch%3Ap%40ss@" if userinfo else ""
    return f"rtsp://{auth}{address_for(FIRST + i)}:{PORT}{path}"


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) of another process, from /proc."""
    import os

    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _fleetctl(n: int, path: str, window: float) -> None:
    from fleetctl.adapters.rtsp import probe_stream
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
    fails = [p for p in probes if not p.ok][:3]
    for p in fails:
        print(f"  failed: {p.stage} {p.failure} {p.error}")


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
    args = ap.parse_args()
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
        asyncio.run(_fleetctl(args.streams, path, args.window))
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
