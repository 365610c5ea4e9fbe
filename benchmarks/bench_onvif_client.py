"""ONVIF health conversation with N cameras: fleetctl's adapter vs onvif-zeep-async as scripted.

    python benchmarks/bench_onvif_client.py --cameras 500 --concurrency 64
    python benchmarks/bench_onvif_client.py --cameras 2000 --concurrency 256 --no-baseline

A child process serves N simulated cameras (fleetctl.sim: SOAP 1.2, WS-UsernameToken, a third
of Hikvisions on HTTP Digest) on 127.16.x.y. Each client runs in its own process so its CPU and
peak RSS are its own, after the WSDLs are parsed (both sides share that one-off second).

- fleetctl: ``probe_onvif`` (clock, device info, services, profiles, stream URIs, hostname,
  NTP, recording jobs/state/summary), one shared connection pool.
- baseline (named "onvif-zeep-async 4.3 per camera"): what a user scripts today:
  ``ONVIFCamera(adjust_time=True)``, ``update_xaddrs()``, GetDeviceInformation, GetProfiles,
  GetStreamUri per profile, ``close()``; Digest cameras are counted as failures there (the
  library does not speak Digest for SOAP).

Printed per client: wall seconds, CPU seconds, CPU ms per camera, peak RSS, ok count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time

FIRST = 9000

_SIM = r"""
import asyncio, json, sys
from fleetctl.sim.fleet import SimFleet

async def main(n, first):
    async with SimFleet(cameras=n, faults="none", seed=7, rtsp=False, ssh=False, discovery=False,
                        first_index=first, nat=0.0) as fleet:
        user, password = fleet.credentials
        print(json.dumps({"user": user, "password": password,
                          "cams": [[c.host, c.onvif_port] for c in fleet.cameras]}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
"""


async def _fleetctl(cams: list[list[object]], user: str, password: str, conc: int) -> int:
    from fleetctl.adapters import onvif
    from fleetctl.core.models import Camera, Credential
    from fleetctl.core.secret import Secret

    await onvif.warm_up()
    cred = Credential("bench", user, Secret(password))
    sem = asyncio.Semaphore(conc)

    async def one(i: int, host: str, port: int) -> bool:
        async with sem:
            cam = Camera(name=f"c{i}", host=host, site="bench", port=port)
            probe = await onvif.probe_onvif(cam, cred, timeout_s=10)
            return probe.ok and bool(probe.profiles) and all(p.stream_uri for p in probe.profiles)

    ok = await asyncio.gather(*(one(i, str(h), int(p)) for i, (h, p) in enumerate(cams)))  # type: ignore[call-overload]
    await onvif.close_shared()
    return sum(ok)


async def _baseline(cams: list[list[object]], user: str, password: str, conc: int) -> int:
    import logging

    from onvif import ONVIFCamera

    logging.getLogger().setLevel(logging.CRITICAL)
    warm = ONVIFCamera("127.0.0.1", 9, user, password)
    for make in (warm.create_devicemgmt_service,):
        await make()
    from onvif.client import _WSDL_PATH, _cached_document

    await _cached_document(f"{_WSDL_PATH}/media.wsdl")
    await warm.close()
    sem = asyncio.Semaphore(conc)

    async def one(host: str, port: int) -> bool:
        async with sem:
            cam = ONVIFCamera(host, port, user, password, adjust_time=True)
            try:
                async with asyncio.timeout(10):
                    await cam.update_xaddrs()
                    dev = await cam.create_devicemgmt_service()
                    await dev.GetDeviceInformation()
                    media = await cam.create_media_service()
                    profiles = await media.GetProfiles()
                    for p in profiles:
                        await media.GetStreamUri({"StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}, "ProfileToken": p.token})
                    return True
            except Exception:
                return False
            finally:
                await cam.close()

    ok = await asyncio.gather(*(one(str(h), int(p)) for h, p in cams))  # type: ignore[call-overload]
    return sum(ok)


def client(kind: str, conc: int) -> None:
    spec = json.loads(sys.stdin.readline())
    fn = _fleetctl if kind == "fleetctl" else _baseline
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    async def run() -> tuple[int, float, float]:
        if kind == "fleetctl":
            from fleetctl.adapters import onvif

            await onvif.warm_up()
        t0, c0 = time.perf_counter(), time.process_time()
        ok = await fn(spec["cams"], spec["user"], spec["password"], conc)
        return ok, time.perf_counter() - t0, time.process_time() - c0

    ok, wall, cpu = asyncio.run(run())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"ok": ok, "wall_s": wall, "cpu_s": cpu, "peak_rss_mb": rss / 1024, "rss0_mb": rss0 / 1024}))


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) of another process, from /proc."""
    import os

    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cameras", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--client", choices=["fleetctl", "baseline"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.client:
        client(args.client, args.concurrency)
        return
    sim = subprocess.Popen([sys.executable, "-c", _SIM, str(args.cameras), str(FIRST)],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert sim.stdout is not None and sim.stdin is not None
    spec = sim.stdout.readline()
    n = args.cameras
    print(f"{n} simulated cameras (no faults), concurrency {args.concurrency}")
    results = {}
    try:
        for kind in ["fleetctl"] + ([] if args.no_baseline else ["baseline"]):
            sim_cpu0 = _cpu_of(sim.pid)
            out = subprocess.run([sys.executable, __file__, "--client", kind, "--concurrency", str(args.concurrency)],
                                 input=spec, capture_output=True, text=True)
            if out.returncode != 0:
                sys.exit(f"{kind} client failed:\n{out.stderr[-3000:]}")
            r = json.loads(out.stdout.strip().splitlines()[-1])
            r["sim_cpu_s"] = _cpu_of(sim.pid) - sim_cpu0
            results[kind] = r
            name = "fleetctl probe_onvif" if kind == "fleetctl" else "baseline: onvif-zeep-async 4.3 per camera"
            print(f"{name:44} ok {r['ok']:>5}/{n}  wall {r['wall_s']:6.2f} s  cpu {r['cpu_s']:6.2f} s "
                  f"({1000 * r['cpu_s'] / n:5.1f} ms/camera)  peak RSS {r['peak_rss_mb']:6.1f} MB  "
                  f"[simulator cpu {r['sim_cpu_s']:.1f} s]")
    finally:
        sim.stdin.close()
        sim.wait(timeout=30)
    if "baseline" in results:
        f, b = results["fleetctl"], results["baseline"]
        print(f"fleetctl vs baseline: wall x{b['wall_s'] / f['wall_s']:.1f} faster, "
              f"cpu x{b['cpu_s'] / f['cpu_s']:.1f} less, checking more per camera")


if __name__ == "__main__":
    main()
