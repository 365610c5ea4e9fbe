"""ONVIF health conversation with N cameras: fleetctl's adapter vs onvif-zeep-async as scripted.

    python benchmarks/bench_onvif_client.py --cameras 500 --concurrency 64
    python benchmarks/bench_onvif_client.py --cameras 2000 --concurrency 256 --no-baseline

A child process serves N simulated cameras (fleetctl.sim: SOAP 1.2, WS-UsernameToken, a third
of Hikvisions on HTTP Digest) on 127.16.x.y. Each client runs in its own process so its CPU and
peak RSS are its own, after the WSDLs are parsed (both sides share that one-off second).

- fleetctl: ``probe_onvif`` (clock, device info, services, profiles, the main stream's URI,
  recording jobs/state/summary): SOAP templates read with lxml, one shared connection pool.
- baseline "same calls through zeep": the same conversation through ``Conversation.call``
  (zeep, the WSDLs parsed before timing), which is how fleetctl spoke until the templates.
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
    from fleetctl.adapters.http.pool import camera_pool
    from fleetctl.adapters.onvif import client as onvif
    from fleetctl.core.models import Camera, Credential
    from fleetctl.core.secret import Secret

    cred = Credential("bench", user, Secret(password))
    sem = asyncio.Semaphore(conc)
    pool = camera_pool()  # the run's connections, as a check run owns them

    async def one(i: int, host: str, port: int) -> bool:
        async with sem:
            cam = Camera(name=f"c{i}", host=host, site="bench", port=port)
            probe = await onvif.probe_onvif(cam, cred, timeout_s=10, pool=pool)
            # The health probe asks the main profile's URI only (the stream it plays).
            return probe.ok and bool(probe.profiles) and bool(probe.profiles[0].stream_uri)

    ok = await asyncio.gather(*(one(i, str(h), int(p)) for i, (h, p) in enumerate(cams)))  # type: ignore[call-overload]
    await pool.close()
    return sum(ok)


async def _zeep_path(cams: list[list[object]], user: str, password: str, conc: int) -> int:
    """The same health conversation through zeep (``Conversation.call``), as fleetctl did it
    until the SOAP templates: clock, device info, services, profiles, main URI, recordings."""
    from fleetctl.adapters.http.pool import camera_pool
    from fleetctl.adapters.onvif import client as onvif
    from fleetctl.adapters.onvif.parse import parse_profile, parse_services
    from fleetctl.adapters.onvif.session import Conversation, pin_xaddr
    from fleetctl.adapters.onvif.soap import NAMESPACES
    from fleetctl.core.models import Camera, Credential
    from fleetctl.core.secret import Secret

    await onvif.load_wsdls(True)
    cred = Credential("bench", user, Secret(password))
    sem = asyncio.Semaphore(conc)
    setup = {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}
    pool = camera_pool()

    async def one(i: int, host: str, port: int) -> bool:
        async with sem:
            cam = Camera(name=f"c{i}", host=host, site="bench", port=port)
            conv = Conversation(cam, cred, max_bytes=2_000_000, read_timeout_s=10, pool=pool)
            try:
                async with asyncio.timeout(10):
                    await conv.measure_clock()
                    await conv.authed("devicemgmt", "GetDeviceInformation")
                    services = parse_services(
                        await conv.call("devicemgmt", "GetServices", IncludeCapability=False)
                    )
                    for name, ns in NAMESPACES.items():
                        if ns in services and name != "devicemgmt":
                            conv.xaddrs[name] = pin_xaddr(services[ns], conv.base)

                    async def media() -> bool:
                        raw = await conv.call("media", "GetProfiles")
                        main = parse_profile(raw[0])
                        reply = await conv.call(
                            "media", "GetStreamUri", StreamSetup=setup, ProfileToken=main.token
                        )
                        return bool(reply.Uri)

                    async def recordings() -> None:
                        jobs = await conv.call("recording", "GetRecordingJobs")
                        await asyncio.gather(
                            *(
                                conv.call("recording", "GetRecordingJobState", JobToken=j.JobToken)
                                for j in jobs or []
                            ),
                            conv.call("search", "GetRecordingSummary"),
                        )

                    ok, _ = await asyncio.gather(media(), recordings())
                    return ok
            except Exception:
                return False

    ok = await asyncio.gather(*(one(i, str(h), int(p)) for i, (h, p) in enumerate(cams)))  # type: ignore[call-overload]
    await pool.close()
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
                        await media.GetStreamUri(
                            {
                                "StreamSetup": {
                                    "Stream": "RTP-Unicast",
                                    "Transport": {"Protocol": "RTSP"},
                                },
                                "ProfileToken": p.token,
                            }
                        )
                    return True
            except Exception:
                return False
            finally:
                await cam.close()

    ok = await asyncio.gather(*(one(str(h), int(p)) for h, p in cams))  # type: ignore[call-overload]
    return sum(ok)


def client(kind: str, conc: int) -> None:
    spec = json.loads(sys.stdin.readline())
    fn = {"fleetctl": _fleetctl, "zeep": _zeep_path, "baseline": _baseline}[kind]
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    async def run() -> tuple[int, float, float]:
        if kind == "zeep":  # both fleetctl paths start timing with their one-offs done
            from fleetctl.adapters.onvif import client as onvif

            await onvif.load_wsdls(True)
        t0, c0 = time.perf_counter(), time.process_time()
        ok = await fn(spec["cams"], spec["user"], spec["password"], conc)
        return ok, time.perf_counter() - t0, time.process_time() - c0

    ok, wall, cpu = asyncio.run(run())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "ok": ok,
                "wall_s": wall,
                "cpu_s": cpu,
                "peak_rss_mb": rss / 1024,
                "rss0_mb": rss0 / 1024,
            }
        )
    )


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) of another process, from /proc."""
    import os

    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--cameras", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--client", choices=["fleetctl", "zeep", "baseline"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.client:
        client(args.client, args.concurrency)
        return
    sim = subprocess.Popen(
        [sys.executable, "-c", _SIM, str(args.cameras), str(FIRST)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sim.stdout is not None and sim.stdin is not None
    spec = sim.stdout.readline()
    n = args.cameras
    print(f"{n} simulated cameras (no faults), concurrency {args.concurrency}")
    results = {}
    try:
        for kind in ["fleetctl", "zeep"] + ([] if args.no_baseline else ["baseline"]):
            sim_cpu0 = _cpu_of(sim.pid)
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--client",
                    kind,
                    "--concurrency",
                    str(args.concurrency),
                ],
                input=spec,
                capture_output=True,
                text=True,
            )
            if out.returncode != 0:
                sys.exit(f"{kind} client failed:\n{out.stderr[-3000:]}")
            r = json.loads(out.stdout.strip().splitlines()[-1])
            r["sim_cpu_s"] = _cpu_of(sim.pid) - sim_cpu0
            results[kind] = r
            name = {
                "fleetctl": "fleetctl probe_onvif (SOAP templates)",
                "zeep": "baseline: same calls through zeep",
                "baseline": "baseline: onvif-zeep-async 4.3 per camera",
            }[kind]
            print(
                f"{name:44} ok {r['ok']:>5}/{n}  wall {r['wall_s']:6.2f} s  cpu {r['cpu_s']:6.2f} s "
                f"({1000 * r['cpu_s'] / n:5.1f} ms/camera)  peak RSS {r['peak_rss_mb']:6.1f} MB  "
                f"[simulator cpu {r['sim_cpu_s']:.1f} s]"
            )
    finally:
        sim.stdin.close()
        sim.wait(timeout=30)
    f = results["fleetctl"]
    for kind in ("zeep", "baseline"):
        if kind in results:
            b = results[kind]
            print(
                f"fleetctl vs {kind}: wall x{b['wall_s'] / f['wall_s']:.1f} faster, "
                f"cpu x{b['cpu_s'] / f['cpu_s']:.1f} less"
            )


if __name__ == "__main__":
    main()
