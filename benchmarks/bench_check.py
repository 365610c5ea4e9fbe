"""`fleetctl check` vs what a user scripts today, on the same simulated fleet.

    python benchmarks/bench_check.py                 # 500 cameras, realistic faults
    python benchmarks/bench_check.py --cameras 200   # quicker
    python benchmarks/bench_check.py --scale         # also fleetctl alone at 1,000 and 10,000
    python benchmarks/bench_check.py --sim-rev 8388260   # against that revision's simulator
    python benchmarks/bench_check.py --no-versus --scale --scale-sizes 500 --picture --check-rev aef094b
        # at 500 cameras: check, check --picture, and that revision's check, on one fleet

``--picture`` adds a row per size with the picture probe on (one keyframe per camera decoded);
``--check-rev REV`` a row with the ``fleetctl check`` of git revision REV (before a change),
measured on the same simulated fleet in the same run. Each row says its CPU per camera.

Baseline (issue 4): per camera, onvif-zeep-async's ``ONVIFCamera`` (update_xaddrs,
GetDeviceInformation, GetProfiles, GetStreamUri), then an ffprobe-like look at the main stream:
PyAV ``av.open`` over RTSP/TCP and decode 1 s of video (ffprobe is not installed here; PyAV is
the same libavformat/libavcodec), 64 cameras at a time, each under a 20 s ``wait_for`` (without
it, a hung camera holds the script for aiohttp's 90 s read timeout). The baseline checks less:
no clock, storage, security, frozen or frame-rate verdicts.

The simulator runs in its own process (`fleetctl sim`), and each contender in a child process of
its own, so wall time, CPU seconds (user + system of that process and its children) and peak RSS
(``ru_maxrss`` from ``wait4``) are attributable. Figures are printed side by side with the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BASELINE_SCRIPT = r'''
import asyncio, json, sys
from urllib.parse import quote, urlsplit, urlunsplit

import av
from onvif import ONVIFCamera

cameras = json.load(open(sys.argv[1]))
CONCURRENCY, DEADLINE_S, DECODE_S = 64, 20.0, 1.0


def decode(url: str) -> int:
    """ffprobe-like: open the RTSP stream over TCP and decode DECODE_S seconds of video."""
    with av.open(url, options={"rtsp_transport": "tcp", "timeout": "5000000"}, timeout=5.0) as box:
        stream = box.streams.video[0]
        frames, first = 0, None
        for frame in box.decode(stream):
            if frame.time is None:
                continue
            first = frame.time if first is None else first
            frames += 1
            if frame.time - first >= DECODE_S:
                break
        return frames


async def one(cam: dict, sem: asyncio.Semaphore) -> str:
    async with sem:
        onvif = ONVIFCamera(cam["host"], cam["port"], cam["user"], cam["password"])
        try:
            async def talk() -> str:
                await onvif.update_xaddrs()
                dev = await onvif.create_devicemgmt_service()
                await dev.GetDeviceInformation()
                media = await onvif.create_media_service()
                profiles = await media.GetProfiles()
                reply = await media.GetStreamUri({
                    "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
                    "ProfileToken": profiles[0].token,
                })
                # Scripts learn to pin the host (NAT) and to put the credentials in the URL.
                parts = urlsplit(reply.Uri)
                netloc = f"{quote(cam['user'], safe='')}:{quote(cam['password'], safe='')}@{cam['host']}:{parts.port or 554}"
                url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
                frames = await asyncio.to_thread(decode, url)
                return "ok" if frames else "no-video"
            return await asyncio.wait_for(talk(), DEADLINE_S)
        except Exception as err:
            return type(err).__name__
        finally:
            try:
                await onvif.close()
            except Exception:
                pass


async def main() -> None:
    # One decoding thread per camera in flight, as 64 ffprobe processes would be.
    from concurrent.futures import ThreadPoolExecutor
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(CONCURRENCY))
    sem = asyncio.Semaphore(CONCURRENCY)
    results = await asyncio.gather(*(one(c, sem) for c in cameras))
    counts = {}
    for r in results:
        counts[r] = counts.get(r, 0) + 1
    print(json.dumps(counts))


asyncio.run(main())
'''


@dataclass(frozen=True)
class Measure:
    label: str
    wall_s: float
    cpu_s: float
    rss_mb: float
    summary: str


def run_measured(
    label: str,
    argv: list[str],
    env: dict[str, str] | None = None,
    stderr: Path | None = None,
) -> tuple[Measure, str]:
    """Run ``argv`` as a child; wall time, its CPU (user+sys, itself and its children), peak RSS.
    Its stderr goes to the file ``stderr`` if given (a file: a pipe could fill and stall it)."""
    start = time.perf_counter()
    err = open(stderr, "wb") if stderr is not None else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, env=env)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    _pid, _status, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    wall = time.perf_counter() - start
    if stderr is not None:
        err.close()  # type: ignore[union-attr]
    cpu = usage.ru_utime + usage.ru_stime
    return Measure(label, wall, cpu, usage.ru_maxrss / 1024, ""), out


# Extra environment of the simulator processes: ``--sim-rev`` runs another revision's simulator
# (its fleetctl/ exported to a folder put first on PYTHONPATH) so that a speed-up of today's
# simulator cannot flatter either contender.
SIM_ENV: dict[str, str] = {}


class Sim:
    """`fleetctl sim` in its own process; ready when it prints its banner's last line."""

    def __init__(self, cameras: int, seed: int, workdir: Path, first_block: int = 3) -> None:
        self.cameras, self.seed, self.workdir, self.first_block = (
            cameras,
            seed,
            workdir,
            first_block,
        )
        self.proc: subprocess.Popen[str] | None = None
        self.inventory = workdir / f"sim-{cameras}-{first_block}.yaml"

    def __enter__(self) -> Sim:
        tail: list[str] = []
        for block in range(self.first_block, self.first_block + 8):
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "fleetctl",
                    "sim",
                    "--cameras",
                    str(self.cameras),
                    "--faults",
                    "realistic",
                    "--seed",
                    str(self.seed),
                    "--recorders",
                    "0",
                    "--no-discovery",
                    "--block",
                    str(block),
                    "--write-inventory",
                    str(self.inventory),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                env=dict(os.environ, COLUMNS="200", **SIM_ENV),
            )
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                tail = [*tail[-5:], line.rstrip()]
                if "stops the fleet" in line:
                    return self
            self.proc.wait()  # it exited: address block taken? try the next one
        raise RuntimeError("fleetctl sim did not start:\n" + "\n".join(tail))

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=60)


class SimGroup:
    """Several `fleetctl sim` processes as one fleet: one process holds at most PER_SIM cameras
    (two listeners each must fit the open-file limit); names prefixed to stay unique."""

    PER_SIM = 5000

    def __init__(self, cameras: int, seed: int, workdir: Path) -> None:
        sizes = [min(self.PER_SIM, cameras - k) for k in range(0, cameras, self.PER_SIM)]
        self.folder = workdir / f"fleet-{cameras}"
        self.sims = [Sim(n, seed, workdir, first_block=3 + 8 * i) for i, n in enumerate(sizes)]
        self.secrets: Path | None = None

    def __enter__(self) -> SimGroup:
        from ruamel.yaml import YAML

        yaml = YAML()
        self.folder.mkdir(exist_ok=True)
        for i, sim in enumerate(self.sims):
            sim.__enter__()
            doc = yaml.load(sim.inventory)
            secrets = sim.inventory.parent / doc.pop("secrets")
            self.secrets = self.secrets or secrets  # same seed: the same fleet account everywhere
            if i:  # names are unique across the whole inventory
                for site in list(doc["sites"]):
                    entry = doc["sites"].pop(site)
                    for cam in entry["cameras"]:
                        cam["name"] = f"p{i}-{cam['name']}"
                    doc["sites"][f"p{i}-{site}"] = entry
            with open(self.folder / f"part{i}.yaml", "w", encoding="utf-8") as fh:
                yaml.dump(doc, fh)
        return self

    def __exit__(self, *exc: object) -> None:
        for sim in self.sims:
            sim.__exit__()


def baseline_inventory(inventory: Path, out: Path) -> None:
    """The sim's inventory as the flat list a user's script would read."""
    from fleetctl.engine.workspace import load_workspace

    ws = load_workspace(str(inventory))
    cams = []
    for cam in ws.inventory.cameras:
        cred = ws.credential_for(cam)
        assert cred is not None and cred.password is not None
        cams.append(
            {
                "host": cam.host,
                "port": cam.port,
                "user": cred.username,
                "password": cred.password.reveal(),
            }
        )
    out.write_text(json.dumps(cams))


def fleetctl_check(
    inventory: Path, label: str, extra: tuple[str, ...] = (), env: dict[str, str] | None = None
) -> Measure:
    """One `fleetctl check` run, measured; prints its own phase timeline (``-v``) as it ends."""
    log = inventory.parent / "fleetctl-check.stderr"
    m, out = run_measured(
        label,
        [
            sys.executable,
            "-m",
            "fleetctl",
            "-v",
            "check",
            "-i",
            str(inventory),
            "--no-history",
            "-f",
            "json",
            "-q",
            *extra,
        ],
        env=dict(os.environ, **env) if env else None,
        stderr=log,
    )
    for line in log.read_text(errors="replace").splitlines():
        if "timeline (s):" in line:
            print(f"  {label} phases: {line.split('timeline (s):', 1)[1].strip()}")
    summary = json.loads(out)["summary"] if out.strip() else {"error": "no output"}
    return Measure(
        m.label, m.wall_s, m.cpu_s, m.rss_mb, " ".join(f"{k}={v}" for k, v in summary.items())
    )


def print_table(rows: list[Measure], baseline: Measure | None = None) -> None:
    print(f"{'':28} {'wall s':>9} {'CPU s':>9} {'peak RSS MB':>12}  result")
    for r in rows:
        print(f"{r.label:28} {r.wall_s:9.1f} {r.cpu_s:9.1f} {r.rss_mb:12.0f}  {r.summary}")
    if baseline is not None:
        for r in rows:
            if r is not baseline:
                print(
                    f"{'ratio baseline / ' + r.label:28} {baseline.wall_s / r.wall_s:8.1f}x {baseline.cpu_s / r.cpu_s:8.1f}x "
                    f"{baseline.rss_mb / r.rss_mb:11.1f}x"
                )


def versus(cameras: int, seed: int, workdir: Path) -> None:
    print(f"== {cameras} simulated cameras, realistic faults (seed {seed}); sim in its own process")
    with Sim(cameras, seed, workdir) as sim:
        flat = workdir / "baseline-cameras.json"
        baseline_inventory(sim.inventory, flat)
        script = workdir / "baseline.py"
        script.write_text(BASELINE_SCRIPT)
        base, out = run_measured(
            "baseline (zeep + PyAV, 64)", [sys.executable, str(script), str(flat)]
        )
        base = Measure(base.label, base.wall_s, base.cpu_s, base.rss_mb, out.strip())
        ours = fleetctl_check(sim.inventory, "fleetctl check")
    print_table([base, ours], base)


def scaling(
    sizes: list[int],
    seed: int,
    workdir: Path,
    picture: bool = False,
    check_rev: Path | None = None,
    rev: str = "",
) -> None:
    rows = []
    per_camera: list[tuple[str, float]] = []
    for n in sizes:
        with SimGroup(n, seed, workdir) as group:
            assert group.secrets is not None
            secrets = ("--secrets", str(group.secrets))
            variants: list[tuple[str, tuple[str, ...], dict[str, str] | None]] = []
            if check_rev is not None:
                variants.append((f"check @{rev}, {n:,}", secrets, {"PYTHONPATH": str(check_rev)}))
            variants.append((f"fleetctl check, {n:,} cameras", secrets, None))
            if picture:
                variants.append((f"check --picture, {n:,}", (*secrets, "--picture"), None))
            for label, extra, env in variants:
                m = fleetctl_check(group.folder, label, extra, env)
                rows.append(m)
                per_camera.append((label, m.cpu_s / n * 1000))
    print("== scaling (fleetctl check alone; sims in their own processes)")
    print_table(rows)
    for label, ms in per_camera:
        print(f"  CPU per camera, {label}: {ms:.1f} ms")
    if len(rows) == 2 and not picture and check_rev is None:
        a, b = rows
        print(
            f"time x{b.wall_s / a.wall_s:.1f}, CPU x{b.cpu_s / a.cpu_s:.1f} for cameras x{sizes[1] / sizes[0]:.0f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--cameras", type=int, default=500)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument(
        "--scale", action="store_true", help="also run fleetctl alone at 1,000 and 10,000 cameras"
    )
    ap.add_argument("--scale-sizes", default="1000,10000")
    ap.add_argument("--no-versus", action="store_true", help="skip the baseline comparison")
    ap.add_argument("--picture", action="store_true", help="also check --picture (scaling)")
    ap.add_argument(
        "--check-rev",
        metavar="REV",
        help="also the check of this git revision, on the same fleet (scaling)",
    )
    ap.add_argument(
        "--sim-rev",
        metavar="REV",
        help="run the simulator of this git revision (e.g. the one the baseline was first measured on)",
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        workdir = Path(tmp)
        os.environ["XDG_DATA_HOME"] = str(workdir / "data")  # known_hosts, history: not the user's
        if args.sim_rev:
            from bench_sim import export  # fleetctl/ of a git revision, to put on PYTHONPATH

            SIM_ENV["PYTHONPATH"] = str(export(args.sim_rev, workdir / "sim-rev"))
            print(f"== the simulator of revision {args.sim_rev}")
        if not args.no_versus:
            versus(args.cameras, args.seed, workdir)
        if args.scale:
            check_rev = None
            if args.check_rev:
                from bench_sim import export

                check_rev = export(args.check_rev, workdir / "check-rev")
            scaling(
                [int(s) for s in args.scale_sizes.split(",")],
                args.seed,
                workdir,
                args.picture,
                check_rev,
                args.check_rev or "",
            )


if __name__ == "__main__":
    main()
