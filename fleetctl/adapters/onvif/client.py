"""The ONVIF adapter: health probe, single login attempt, and the two mutations push needs.

    probe_onvif(camera, credential, *, timeout_s, max_bytes, want_recordings) -> OnvifProbe
    try_login(camera, username, password, *, timeout_s) -> bool | None
    sync_time(camera, credential, *, timeout_s) -> str | None       (error in words, or None)
    reboot(camera, credential, *, timeout_s) -> str | None
    clock_answers(camera, *, timeout_s) -> bool                      (reboot polling, no login)
    load_wsdls()                           (once per process, for zeep's callers)

Each takes ``pool=``: the connection pool of the caller's run (``http.pool``), which its owner
closes; without one, the call opens a pool of its own and closes it before returning.

None of these raises for a camera's failure. ``timeout_s`` is a hard deadline on the whole
conversation, enforced here with ``asyncio.timeout`` (the libraries' timeouts only bound the gap
between two reads: a drip-fed reply would otherwise never end).

All of these speak through ``Conversation.soap``: fixed requests, replies read with lxml, no
zeep and no WSDL (``onvif_soap``). The callers that need zeep's WSDL operations (push,
onboarding, users) parse the WSDLs once per process before the first deadline starts
(``load_wsdls``), not inside it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from fleetctl.adapters.http.pool import HttpPool
from fleetctl.adapters.onvif.clock import field, utc_now
from fleetctl.adapters.onvif.media2 import MEDIA2_NS, media2_profiles
from fleetctl.adapters.onvif.parse import (
    flag,
    parse_capabilities,
    parse_device_info,
    parse_ntp,
    parse_profile,
    parse_recording_jobs,
    parse_services,
    text,
)
from fleetctl.adapters.onvif.session import (
    Conversation,
    OnvifCallError,
    pin_stream_uri,
    pin_xaddr,
)
from fleetctl.adapters.onvif.soap import NAMESPACES, request, stream_uri_request
from fleetctl.core.models import Camera, Credential
from fleetctl.core.probes import Failure, MediaProfileInfo, OnvifProbe, RecordingInfo
from fleetctl.core.secret import Secret

__all__ = [
    "clock_answers",
    "load_wsdls",
    "probe_onvif",
    "reboot",
    "sync_time",
    "try_login",
]

T = TypeVar("T")

DEFAULT_MAX_BYTES = 2_000_000
_DEVICE_INFO = request("devicemgmt", "GetDeviceInformation")
_SERVICES = request("devicemgmt", "GetServices", IncludeCapability="false")
_CAPABILITIES = request("devicemgmt", "GetCapabilities", Category="All")
_HOSTNAME = request("devicemgmt", "GetHostname")
_NTP = request("devicemgmt", "GetNTP")
_PROFILES = request("media", "GetProfiles")
_RECORDING_JOBS = request("recording", "GetRecordingJobs")
_RECORDING_SUMMARY = request("search", "GetRecordingSummary")


async def load_wsdls(want_recordings: bool = False) -> None:
    """Parse the WSDLs zeep needs (about a second, once per process): for the callers of
    ``Conversation.call`` (push, onboarding, users, reboot), before their deadlines start."""
    from fleetctl.adapters.onvif.zeep_client import load_documents

    names = (
        ("devicemgmt", "media", "recording", "search")
        if want_recordings
        else ("devicemgmt", "media")
    )
    await load_documents(names)


def _read_timeout(timeout_s: float) -> float:
    return max(0.5, timeout_s)


CLOCK_OP, INFO_OP, SERVICES_OP = "GetSystemDateAndTime", "GetDeviceInformation", "GetServices"
# Calls a camera may leave out without the check ending: the firmware of many cheap and old
# models answers them with ActionNotSupported, an HTML error page or a garbled reply.
OPTIONAL_CALLS = frozenset({CLOCK_OP, INFO_OP, SERVICES_OP})
# How a left-out call fails: an answer that says "not here" (a SOAP fault, an HTML error page),
# as opposed to silence (the camera is unwell), a refused login (the credentials are wrong) or
# hostile XML (never a way of saying "not implemented").
_LEFT_OUT = (Failure.PROTOCOL, Failure.UNSUPPORTED)


class _Findings:
    """What the probe learned so far: partial results survive a failure or the deadline."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.complete = False  # every step ran to its end
        self.unsupported: list[str] = []  # optional calls the camera left out (or known to)
        self.skip: frozenset[str] = frozenset()

    def probe(
        self, conv: Conversation, *, failure: Failure | None = None, error: str | None = None
    ) -> OnvifProbe:
        slowest = max((ms for _, ms in conv.calls), default=None)
        return OnvifProbe(
            ok=failure is None,
            failure=failure,
            error=error,
            answered=conv.answered,
            latency_ms=conv.latency_ms,
            slowest_ms=slowest,
            clock_offset_s=conv.offset_s,
            auth_method=conv.auth_method if failure is not Failure.AUTH else None,
            calls=tuple(conv.calls),
            unsupported=tuple(dict.fromkeys(self.unsupported)),
            **self.values,
        )


async def _optional(found: _Findings, op: str, call: Awaitable[T]) -> T | None:
    """An optional call: its answer, or None (and ``op`` noted) when the camera left it out."""
    try:
        return await call
    except OnvifCallError as err:
        if err.failure not in _LEFT_OUT:
            raise
        found.unsupported.append(op)
        return None


async def probe_onvif(
    camera: Camera,
    credential: Credential | None,
    *,
    timeout_s: float,
    max_bytes: int = DEFAULT_MAX_BYTES,
    want_recordings: bool = True,
    want_config: bool = False,
    all_stream_uris: bool = False,
    first_reply_s: float | None = None,
    first_reply: asyncio.Event | None = None,
    pool: HttpPool | None = None,
    skip: frozenset[str] = frozenset(),
) -> OnvifProbe:
    """The ONVIF health conversation with one camera, within ``timeout_s`` in all.

    ``first_reply_s``: how long the first, cheapest answer (the pre-auth clock) may take; a
    camera that accepted the connection and says nothing complete by then is not waited for
    until ``timeout_s`` (TIMEOUT, nothing answered). Whatever the limits, a camera whose answers
    are so slow that the rest of the conversation cannot finish in time is left once its
    identity and the login are known (TIMEOUT with its call timings: the slow verdict).

    ``first_reply`` (if given) is set when the clock has answered.

    Old and cheap firmware leave calls out (ActionNotSupported, an HTML error page): one failed
    optional call never ends the conversation (``OPTIONAL_CALLS``). No GetSystemDateAndTime:
    the clock stays unknown and the login goes out without an offset; no GetDeviceInformation:
    the identity stays unknown and the next authenticated call proves the login; no
    GetServices: GetCapabilities. Those left out are named in ``OnvifProbe.unsupported``;
    ``skip`` names calls known (from earlier checks of this model) to be missing: not asked.

    Each call costs our CPU (HTTP, XML), which is what bounds a district's check on one
    machine: the health check asks only what it judges. ``want_config`` adds GetHostname and
    GetNTP; ``all_stream_uris`` asks the stream URI of every profile, not just the first (main).

    Clock first (no credentials), then GetDeviceInformation (the auth check, with one clock
    re-measure and retry on NotAuthorized), GetServices (or GetCapabilities), then profiles and
    stream URIs, hostname, NTP and recording state concurrently. ``ok`` means the authenticated
    part worked; on failure the fields read so far are kept. Never raises for the camera.
    """
    conv = Conversation(
        camera, credential, max_bytes=max_bytes, read_timeout_s=_read_timeout(timeout_s), pool=pool
    )
    found = _Findings()
    found.skip = skip
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    limit = timeout_s
    try:
        async with asyncio.timeout_at(deadline):
            clock = None
            if CLOCK_OP in skip:
                found.unsupported.append(CLOCK_OP)
            elif first_reply_s is not None and first_reply_s < timeout_s:
                limit = first_reply_s
                async with asyncio.timeout(first_reply_s):
                    clock = await _optional(found, CLOCK_OP, conv.measure_clock())
                limit = timeout_s
            else:
                clock = await _optional(found, CLOCK_OP, conv.measure_clock())
            if first_reply is not None:
                first_reply.set()
            await _converse(
                conv, found, clock, deadline, want_recordings, want_config, all_stream_uris
            )
    except TimeoutError:
        if found.complete:
            # The last reply landed as the deadline fired: the cancel hit the finished task.
            return found.probe(conv)
        what = "no complete answer" if conv.answered else "no answer"
        if conv.pending:
            what += f" to {conv.pending[0]}"
        return found.probe(
            conv, failure=Failure.TIMEOUT, error=f"{conv.where}: {what} within {limit:g} s"
        )
    except _TooSlow as slow:
        return found.probe(conv, failure=Failure.TIMEOUT, error=f"{conv.where}: {slow}")
    except OnvifCallError as err:
        return found.probe(conv, failure=err.failure, error=str(err))
    finally:
        await conv.aclose()
    return found.probe(conv)


class _TooSlow(Exception):
    """The rest of the conversation cannot finish before the deadline at this camera's pace."""


# Sequential round trips left after GetDeviceInformation: services, profiles, the stream URI.
_ROUNDS_AFTER_LOGIN = 3


def _pace_ms(conv: Conversation) -> float:
    """The lower median answer time: one late answer (a hiccup, our own busy host) among quick
    ones never makes a camera "too slow"; a slow camera is slow on every answer."""
    times = sorted(ms for _, ms in conv.calls)
    return times[(len(times) - 1) // 2] if times else 0.0


async def _converse(
    conv: Conversation,
    found: _Findings,
    clock: Any,
    deadline: float,
    want_recordings: bool,
    want_config: bool,
    all_uris: bool,
) -> None:
    found.values["datetime_type"] = text(field(clock, "DateTimeType"))
    info = None
    if INFO_OP in found.skip:
        found.unsupported.append(INFO_OP)
    else:
        info = await _optional(found, INFO_OP, conv.authed_soap(_DEVICE_INFO))
    if info is not None:
        found.values["device"] = parse_device_info(info)
    # Identity and login known: if the camera's pace says the rest cannot arrive in time, stop
    # asking now rather than at the deadline (less load on a struggling device, and a verdict
    # seconds sooner). The calls so far carry the timings the slow verdict reads.
    pace_s = _pace_ms(conv) / 1000
    left_s = deadline - asyncio.get_running_loop().time()
    if pace_s * _ROUNDS_AFTER_LOGIN > left_s:
        raise _TooSlow(
            f"answers take {pace_s:.1f} s each: the {_ROUNDS_AFTER_LOGIN} calls left cannot finish "
            f"in the {max(left_s, 0):.1f} s left"
        )
    services: dict[str, str] = {}
    if SERVICES_OP in found.skip:
        found.unsupported.append(SERVICES_OP)
    else:
        try:
            services = parse_services((await conv.soap(_SERVICES)).findall("{*}Service"))
        except OnvifCallError as err:
            if err.failure in (Failure.TIMEOUT, Failure.REFUSED, Failure.UNREACHABLE):
                raise
            if err.failure in _LEFT_OUT:
                found.unsupported.append(SERVICES_OP)
    if not services:  # older firmware: GetServices missing or empty
        # Authenticated with the clock retry: when GetDeviceInformation was left out, this is
        # the call that proves the login.
        reply = await conv.authed_soap(_CAPABILITIES)
        services = parse_capabilities(reply.find("{*}Capabilities"))
    found.values["services"] = tuple(sorted(services))
    for name, ns in (*NAMESPACES.items(), ("media2", MEDIA2_NS)):
        if ns in services and name != "devicemgmt":
            conv.xaddrs[name] = pin_xaddr(services[ns], conv.base)

    async def optional(coro: Any) -> Any:
        # Extras (hostname, NTP, recordings) must not fail the health probe: None = unreadable.
        try:
            return await coro
        except OnvifCallError:
            return None

    profiles, hostname, ntp, recordings = await asyncio.gather(
        _profiles(conv, all_uris),
        optional(conv.soap(_HOSTNAME)) if want_config else _none(),
        optional(conv.soap(_NTP)) if want_config else _none(),
        _recordings(conv) if want_recordings and "recording" in conv.xaddrs else _none(),
    )
    found.values["profiles"] = profiles
    found.values["hostname"] = text(field(hostname, "HostnameInformation", "Name"))
    ntp_info = field(ntp, "NTPInformation")
    found.values["ntp_servers"] = parse_ntp(ntp_info) if ntp_info is not None else None
    found.values["recordings"] = recordings
    found.complete = True


async def _none() -> None:
    return None


async def _profiles(conv: Conversation, all_uris: bool = True) -> tuple[MediaProfileInfo, ...]:
    if "media" not in conv.xaddrs:
        # Profile T firmware may offer media2 alone (media1 is what every other camera speaks).
        return await media2_profiles(conv) if "media2" in conv.xaddrs else ()
    raw = (await conv.soap(_PROFILES, "media")).findall("{*}Profiles")

    async def uri_of(token: str) -> str | None:
        try:
            reply = await conv.soap(stream_uri_request(token), "media")
        except OnvifCallError as err:
            if err.failure is Failure.TIMEOUT:
                raise
            # One profile without a URI is a finding for the stream probe, not an ONVIF failure.
            return None
        uri = text(field(reply, "MediaUri", "Uri"))
        return pin_stream_uri(uri, conv.camera.host) if uri else None

    parsed = [p for p in (parse_profile(r) for r in raw) if p is not None]
    wanted = parsed if all_uris else parsed[:1]  # the main stream is the one the check plays
    uris = [
        *await asyncio.gather(*(uri_of(p.token) for p in wanted)),
        *[None] * (len(parsed) - len(wanted)),
    ]
    return tuple(
        MediaProfileInfo(p.token, p.name, p.encoder, uri)
        for p, uri in zip(parsed, uris, strict=True)
    )


async def _recordings(conv: Conversation) -> tuple[RecordingInfo, ...] | None:
    try:
        reply = await conv.soap(_RECORDING_JOBS, "recording")
        jobs = parse_recording_jobs(reply.findall("{*}JobItem"))
    except OnvifCallError as err:
        if err.failure is Failure.TIMEOUT:
            raise
        return None

    async def state_of(job: str) -> str | None:
        try:
            reply = await conv.soap(
                request("recording", "GetRecordingJobState", JobToken=job), "recording"
            )
        except OnvifCallError:
            return None
        return text(field(reply, "State", "State"))

    async def summary() -> tuple[datetime | None, datetime | None]:
        if "search" not in conv.xaddrs:
            return None, None
        try:
            reply = await conv.soap(_RECORDING_SUMMARY, "search")
        except OnvifCallError:
            return None, None
        until = xs_datetime(text(field(reply, "Summary", "DataUntil")))
        since = xs_datetime(text(field(reply, "Summary", "DataFrom")))
        # An empty card answers 1970-01-01 for both: nothing recorded, no range.
        return (since if since is not None and since.year > 1970 else None), until

    states, (since, until) = await asyncio.gather(
        asyncio.gather(*(state_of(j) for j, _ in jobs)), summary()
    )
    camera_now = utc_now()
    if conv.offset_s is not None:
        camera_now += timedelta(seconds=conv.offset_s)
    return tuple(
        RecordingInfo(recording, state, until, camera_now, since)
        for (_, recording), state in zip(jobs, states, strict=True)
    )


def xs_datetime(value: str | None) -> datetime | None:
    """An xs:dateTime, aware; a value without a zone is UTC (ONVIF times are UTC)."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


async def try_login(
    camera: Camera, username: str, password: str, *, timeout_s: float, pool: HttpPool | None = None
) -> bool | None:
    """Exactly ONE authenticated attempt (GetDeviceInformation): True opens, False rejected.

    None when it could not be judged (no answer, deadline, garbage). The clock is read first
    without credentials so a skewed camera does not reject a right password for its Created.
    """
    cred = Credential("factory-probe", username, Secret(password))
    conv = Conversation(
        camera,
        cred,
        max_bytes=DEFAULT_MAX_BYTES,
        read_timeout_s=_read_timeout(timeout_s),
        pool=pool,
    )
    try:
        async with asyncio.timeout(timeout_s):
            try:
                await conv.measure_clock(allow_auth=False)
            except OnvifCallError as err:
                if err.failure is not Failure.AUTH:
                    return None  # nothing ONVIF-shaped answers: no attempt spent
                # Axis: no unauthenticated clock; the attempt goes out with our own clock.
            await conv.authed_soap(_DEVICE_INFO, retry_auth=False)
    except TimeoutError:
        return None
    except OnvifCallError as err:
        return False if err.failure is Failure.AUTH else None
    finally:
        await conv.aclose()
    return True


async def _mutate(
    camera: Camera,
    credential: Credential,
    timeout_s: float,
    op: str,
    params: Callable[[Any], dict[str, Any]],
    pool: HttpPool | None,
) -> str | None:
    await load_wsdls()
    conv = Conversation(
        camera,
        credential,
        max_bytes=DEFAULT_MAX_BYTES,
        read_timeout_s=_read_timeout(timeout_s),
        pool=pool,
    )
    try:
        async with asyncio.timeout(timeout_s):
            clock = await conv.measure_clock()
            await conv.authed("devicemgmt", op, **params(clock))
    except TimeoutError:
        return f"{conv.where}: {op}: no answer within {timeout_s:g} s"
    except OnvifCallError as err:
        return str(err)
    finally:
        await conv.aclose()
    return None


async def sync_time(
    camera: Camera, credential: Credential, *, timeout_s: float, pool: HttpPool | None = None
) -> str | None:
    """SetSystemDateAndTime(Manual) from this host's UTC clock. None on success, else why not."""

    def params(clock: Any) -> dict[str, Any]:
        now = utc_now()  # read at the last moment: the clock call itself took time
        return {
            "DateTimeType": "Manual",
            # Keep the camera's DST flag and time zone: only the clock is being set.
            "DaylightSavings": flag(field(clock, "DaylightSavings")),
            "UTCDateTime": {
                "Date": {"Year": now.year, "Month": now.month, "Day": now.day},
                "Time": {"Hour": now.hour, "Minute": now.minute, "Second": now.second},
            },
        }

    return await _mutate(camera, credential, timeout_s, "SetSystemDateAndTime", params, pool)


async def reboot(
    camera: Camera, credential: Credential, *, timeout_s: float, pool: HttpPool | None = None
) -> str | None:
    """SystemReboot. The camera answers before it goes down: the caller polls to confirm."""
    return await _mutate(camera, credential, timeout_s, "SystemReboot", lambda _clock: {}, pool)


async def clock_answers(camera: Camera, *, timeout_s: float, pool: HttpPool | None = None) -> bool:
    """One unauthenticated GetSystemDateAndTime: True when the device answers anything HTTP.

    Used to watch a reboot (SystemReboot answers first, then the camera goes
    away). Axis refuses even this call without credentials: a refusal is an answer too. No
    credential is sent, so polling never spends a login attempt.
    """
    conv = Conversation(
        camera,
        None,
        max_bytes=DEFAULT_MAX_BYTES,
        read_timeout_s=_read_timeout(timeout_s),
        pool=pool,
    )
    try:
        async with asyncio.timeout(timeout_s):
            await conv.measure_clock(allow_auth=False)
    except (TimeoutError, OnvifCallError):
        return conv.answered
    finally:
        await conv.aclose()
    return True
