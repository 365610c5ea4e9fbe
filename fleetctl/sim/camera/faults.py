"""Fault specs (``--faults``), their assignment to cameras, and their effect on a camera's state.

Spec grammar: ``none`` | ``realistic`` | ``every`` | ``help`` | comma-separated ``NAME=VALUE``
where VALUE is a rate (``offline=0.02``: that share of cameras) or a count (``frozen=3``).
Assignment is deterministic for a given seed.

Faults are grouped in families: a camera carries at most one fault per family, and a fault that
silences the device (offline, hang, wrong credentials, hostile XML, ...) is never stacked with
another, or it would hide it. Storage faults go only to cameras whose vendor exposes disk health
(Hikvision ISAPI, Dahua CGI); ``recording_stopped`` to those with a Profile G recording service.

Each fault is implemented where a real camera shows it: listeners (offline, flapping: sim/fleet),
the HTTP/SOAP layer (hang, slow, drip, soap_fault, malformed_xml, huge_reply, entity_bomb:
sim/onvif/app.py), accounts and clock (``apply()`` below), storage state (``apply()``, read by the
ONVIF recording service and the vendor APIs; ``short_retention``: sim/camera/history), and the
stream (read by sim/rtsp).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field

from fleetctl.sim.camera.model import FAULTS, SimCamera, Storage, Vendor
from fleetctl.sim.vendors.flavours import FLAVOURS

# Silence the device, so they are never combined with anything else.
ALONE = frozenset(
    {
        "offline",
        "hang",
        "web_hang",
        "partial_onvif",
        "flapping",
        "drip",
        "huge_reply",
        "entity_bomb",
        "malformed_xml",
        "soap_fault",
        "wrong_credentials",
    }
)
FAMILIES: dict[str, str] = {
    "clock_drift": "clock",
    "clock_skew": "clock",
    "rtsp_down": "stream",
    "no_video": "stream",
    "frozen": "stream",
    "low_fps": "stream",
    "storage_full": "storage",
    "storage_failed": "storage",
    "storage_unformatted": "storage",
    "recording_stopped": "storage",
    "short_retention": "storage",
    "factory_password": "security",
    "basic_only": "auth_scheme",
    "slow": "slow",
    "picture_black": "stream",
    "picture_flat": "stream",
    "picture_blurred": "stream",
    "vulnerable_firmware": "firmware",
}

# What a district looks like: ~10% of cameras with something wrong, mostly dull things.
REALISTIC: dict[str, float] = {
    "offline": 0.025,
    "hang": 0.002,
    "web_hang": 0.003,
    "partial_onvif": 0.005,
    "slow": 0.008,
    "drip": 0.001,
    "soap_fault": 0.002,
    "malformed_xml": 0.001,
    "huge_reply": 0.0005,
    "entity_bomb": 0.0005,
    "wrong_credentials": 0.008,
    "factory_password": 0.01,
    "clock_drift": 0.004,
    "clock_skew": 0.008,
    "rtsp_down": 0.003,
    "no_video": 0.004,
    "frozen": 0.008,
    "low_fps": 0.006,
    "storage_full": 0.004,
    "storage_failed": 0.003,
    "storage_unformatted": 0.002,
    "recording_stopped": 0.004,
    "short_retention": 0.003,
    "flapping": 0.002,
    "vulnerable_firmware": 0.01,
}

# A build each vendor really shipped before its advisory's fix (core/firmware/advisories.yaml):
# Hikvision before HSRC-202109-01, Dahua before DHCC-SA-202110-001.
VULNERABLE_FIRMWARE: dict[Vendor, str] = {
    Vendor.HIKVISION: "V5.5.0 build 200612",
    Vendor.DAHUA: "2.800.0000000.16.R, Build Date: 2021-03-10",
}


OLD_FIRMWARE = {"hikvision": "V5.2.5 build 141201", "axis": "5.51.7"}

# How old and cheap firmware leave ONVIF out, as ONVIF clients' issue trackers report it: each
# leaves at least one call out (the check must go on and warn), some bend the rest.
PARTIAL_MODELS: tuple[frozenset[str], ...] = (
    frozenset({"no_clock", "no_device_info"}),
    frozenset({"no_clock", "no_device_info", "soap11"}),
    frozenset({"no_services", "clock_needs_auth"}),
    frozenset({"no_device_info", "soap11"}),
    frozenset({"no_services", "no_clock"}),
)


@dataclass(frozen=True)
class FaultPlan:
    """A parsed ``--faults`` spec: per fault, a rate in [0, 1] or an exact count."""

    preset: str = ""  # "none" | "realistic" | "every" | "" (custom)
    rates: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def parse_spec(spec: str) -> FaultPlan:
    """Parse a ``--faults`` value. Raises ValueError with a message fit for the user."""
    spec = spec.strip()
    if spec in ("", "none", "realistic", "every"):
        return FaultPlan(preset=spec or "none")
    rates: dict[str, float] = {}
    counts: dict[str, int] = {}
    for item in spec.split(","):
        name, sep, value = item.strip().partition("=")
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r} (see --faults help)")
        if not sep:
            counts[name] = 1
            continue
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"{name}={value}: expected a rate (0.02) or a count (3)") from None
        if "." in value and 0 <= number <= 1:
            rates[name] = number
        elif number.is_integer() and number >= 0:
            counts[name] = int(number)
        else:
            raise ValueError(f"{name}={value}: a rate is 0..1 with a dot, a count is whole")
    return FaultPlan(rates=rates, counts=counts)


def describe() -> str:
    """The catalogue, for ``--faults help``."""
    lines = ["fault                 kind      severity  what the camera does"]
    for f in FAULTS.values():
        lines.append(f"{f.name:<21} {f.kind:<9} {f.severity:<9} {f.description}")
    lines.append(
        "\nspec: none | realistic | every | NAME=RATE,... (offline=0.02) | NAME=COUNT (frozen=3)"
    )
    return "\n".join(lines)


def eligible(cam: SimCamera, fault: str) -> bool:
    fl = FLAVOURS[cam.vendor]
    if fault == "storage_full":
        # Only a device that says whether it overwrites can show "full, overwrite off"; on the
        # others a full card is judged by whether recording goes on.
        return fl.storage_api == "isapi" and not cam.is_recorder
    if fault in ("storage_failed", "storage_unformatted"):
        return bool(fl.storage_api) and not cam.is_recorder
    if fault in ("recording_stopped", "short_retention"):
        # Both show in Profile G's recording summary (DataUntil stale; DataFrom recent).
        return fl.recording and not cam.is_recorder
    if fault == "vulnerable_firmware":
        return cam.vendor in VULNERABLE_FIRMWARE and not cam.is_recorder
    return not cam.is_recorder


def _fits(faults: set[str], fault: str) -> bool:
    if not faults:
        return True
    if fault in ALONE or faults & ALONE:
        return False
    return FAMILIES[fault] not in {FAMILIES[f] for f in faults}


def _wanted(plan: FaultPlan, n: int, rng: random.Random) -> list[tuple[str, int]]:
    if plan.preset == "every":
        return [(name, 1) for name in FAULTS]
    rates = REALISTIC if plan.preset == "realistic" else plan.rates
    wanted = []
    for name in FAULTS:
        if name in plan.counts:
            wanted.append((name, plan.counts[name]))
        elif name in rates:
            exact = rates[name] * n  # stochastic rounding: small fleets still see rare faults
            wanted.append((name, math.floor(exact) + (rng.random() < exact % 1)))
    return wanted


def assign(cameras: list[SimCamera], plan: FaultPlan, seed: int) -> dict[int, set[str]]:
    """Which faults go where (camera index -> faults). Deterministic for (cameras, plan, seed)."""
    rng = random.Random(f"faults:{seed}")
    order = list(range(len(cameras)))
    rng.shuffle(order)
    out: dict[int, set[str]] = {}
    wanted = _wanted(plan, len(cameras), rng)
    # Lone faults first, so they each find a camera of their own.
    wanted.sort(key=lambda item: item[0] not in ALONE)
    for name, count in wanted:
        for _ in range(count):
            pick = _pick(cameras, order, out, name)
            if pick is None:
                break  # the fleet is too small for this many: fewer, not an error
            out.setdefault(pick, set()).add(name)
    return out


def _pick(
    cameras: list[SimCamera], order: list[int], out: dict[int, set[str]], name: str
) -> int | None:
    fallback = None
    for i in order:
        have = out.get(i, set())
        if name in have or not eligible(cameras[i], name) or not _fits(have, name):
            continue
        if not have:
            order.remove(i)
            order.append(i)  # next pick starts elsewhere: spread over the fleet
            return i
        fallback = fallback if fallback is not None else i
    return fallback


def apply(cam: SimCamera, faults: Iterable[str], rng: random.Random, fleet_user: str) -> None:
    """Put the faults on ``cam``: set them, and change the state that makes them true."""
    for fault in faults:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}")
        cam.faults.add(fault)
        card = (
            _card(cam)
            if fault.startswith(("storage_", "recording_")) or fault == "short_retention"
            else None
        )
        if fault == "wrong_credentials" and fleet_user in cam.users:
            cam.users[fleet_user].password = f"other-{rng.randrange(16**10):010x}"
        elif fault == "factory_password":
            cam.users[cam.factory_user].password = cam.factory_password
            # Only firmware generations that shipped a factory password still carry one:
            # Hikvision before activation (5.3), Axis before first-visit setup (6).
            old = OLD_FIRMWARE.get(cam.vendor.value)
            if old is not None:
                cam.firmware = old
        elif fault == "clock_drift":
            cam.clock_offset_s = rng.choice((-1, 1)) * rng.uniform(2 * 3600, 9 * 3600)
            cam.datetime_type = "Manual"
        elif fault == "clock_skew":
            cam.clock_offset_s = rng.choice((-1, 1)) * rng.uniform(60, 200)
            cam.datetime_type = "Manual"
        elif fault == "vulnerable_firmware" and cam.vendor in VULNERABLE_FIRMWARE:
            cam.firmware = VULNERABLE_FIRMWARE[cam.vendor]
        elif fault == "partial_onvif":
            # What ONVIF a device speaks is its firmware's: the partial models run firmware of
            # their own (siblings on the fleet's usual firmware speak all of it).
            k = rng.randrange(len(PARTIAL_MODELS))
            cam.onvif_quirks |= PARTIAL_MODELS[k]
            cam.firmware = f"V2.{k}.0 build 1605{k:02d}"
        elif fault == "slow":
            cam.fault_params.setdefault("slow_s", 2.5)
        elif fault == "drip":
            cam.fault_params.setdefault("drip_s", 0.1)
        elif card is not None and fault == "storage_full":
            card.state, card.used_mb, card.overwrite = "full", card.total_mb, False
        elif card is not None and fault == "storage_failed":
            card.state = "failed"
            card.data_until_offset_s = rng.uniform(3600, 5 * 86400)
        elif card is not None and fault == "storage_unformatted":
            card.state, card.used_mb, card.recording = "unformatted", 0, False
        elif card is not None and fault == "recording_stopped":
            card.recording = False
            card.data_until_offset_s = rng.uniform(2 * 3600, 4 * 86400)


def _card(cam: SimCamera) -> Storage:
    if not cam.storage:
        cam.storage.append(Storage("SD1", total_mb=61_000, used_mb=30_000))
    return cam.storage[0]
