"""ONVIF replies -> fleetctl's probe records. Pure and defensive.

Each reader takes a zeep object or the SOAP reply element (lxml) of the same part of the reply:
``field`` walks both, and the scalar readers take an element's text. The health probe reads
elements (``onvif_soap``); configuration and users read zeep objects.

Cameras omit optional elements, send empty strings for numbers and put vendor extensions where
the schema has none: every reader here returns None for what it cannot read, never raises.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from fleetctl.adapters.onvif.clock import field, scalar
from fleetctl.adapters.onvif.soap import SERVICE_NS
from fleetctl.core.models import DeviceInfo
from fleetctl.core.probes import EncoderSettings, MediaProfileInfo


def text(value: Any) -> str | None:
    """A stripped string, or None for missing/empty."""
    value = scalar(value)
    if value is None:
        return None
    s = str(value).strip()
    return s or None


def number(value: Any) -> float | None:
    try:
        n = float(scalar(value))
    except (TypeError, ValueError):
        return None
    return n if n == n and n >= 0 else None  # NaN and negatives are not settings


def integer(value: Any) -> int | None:
    n = number(value)
    return int(n) if n is not None else None


def items(value: Any) -> list[Any]:
    """zeep gives a list, a single object, or None for a repeated element."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def every(obj: Any, name: str) -> list[Any]:
    """All ``name`` children (a repeated element): zeep gives a list, XML has siblings."""
    if isinstance(obj, etree._Element):
        return list(obj.findall(f"{{*}}{name}"))
    return items(field(obj, name))


def flag(value: Any) -> bool:
    """An xs:boolean: zeep's bool, or an element's ``true``/``1``."""
    value = scalar(value)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


def parse_device_info(reply: Any) -> DeviceInfo:
    return DeviceInfo(
        manufacturer=text(field(reply, "Manufacturer")),
        model=text(field(reply, "Model")),
        firmware=text(field(reply, "FirmwareVersion")),
        serial=text(field(reply, "SerialNumber")),
        hardware_id=text(field(reply, "HardwareId")),
    )


def parse_services(reply: Any) -> dict[str, str]:
    """GetServices -> {namespace: XAddr as reported} (pin before use)."""
    out: dict[str, str] = {}
    for service in items(reply):
        ns, xaddr = text(field(service, "Namespace")), text(field(service, "XAddr"))
        if ns and xaddr:
            out[ns] = xaddr
    return out


# GetCapabilities' element names -> our service names (top level, then under Extension).
_CAPABILITY_SERVICES = {
    "Device": "devicemgmt",
    "Media": "media",
    "Events": "events",
    "Imaging": "imaging",
    "PTZ": "ptz",
    "Analytics": "analytics",
}
_EXTENSION_SERVICES = {
    "Recording": "recording",
    "Search": "search",
    "Replay": "replay",
    "DeviceIO": "deviceio",
    "Receiver": "receiver",
}


def parse_capabilities(reply: Any) -> dict[str, str]:
    """GetCapabilities (pre-2.0 firmware) -> {namespace: XAddr}, like ``parse_services``."""
    out: dict[str, str] = {}
    extension = field(reply, "Extension")
    sources = [(reply, _CAPABILITY_SERVICES), (extension, _EXTENSION_SERVICES)]
    for parent, names in sources:
        for element, service in names.items():
            xaddr = text(field(parent, element, "XAddr"))
            if xaddr:
                out[SERVICE_NS[service]] = xaddr
    # The 2.4.2 schema opens CapabilitiesExtension with xs:any, so zeep hands Recording, Search
    # and friends over as raw lxml elements in ``_value_1`` instead of typed fields.
    for raw in items(field(extension, "_value_1")):
        local = etree.QName(raw).localname if isinstance(raw, etree._Element) else None
        name = _EXTENSION_SERVICES.get(local or "")
        raw_xaddr = text(raw.findtext("{*}XAddr")) if name else None
        if name and raw_xaddr:
            out.setdefault(SERVICE_NS[name], raw_xaddr)
    return out


def parse_encoder(vec: Any) -> EncoderSettings | None:
    if vec is None:
        return None
    encoding = text(field(vec, "Encoding"))
    gop = integer(field(vec, "H264", "GovLength")) or integer(field(vec, "MPEG4", "GovLength"))
    return EncoderSettings(
        encoding=encoding.upper() if encoding else None,
        width=integer(field(vec, "Resolution", "Width")),
        height=integer(field(vec, "Resolution", "Height")),
        fps=number(field(vec, "RateControl", "FrameRateLimit")),
        bitrate_kbps=number(field(vec, "RateControl", "BitrateLimit")),
        gop=gop,
        cbr=tristate(text(field(vec, "RateControl", "ConstantBitRate"))),
    )


def tristate(value: str | None) -> bool | None:
    """An xs:boolean that may be absent: True, False, or None (not said, or garbage)."""
    v = (value or "").strip().lower()
    return True if v in ("true", "1") else False if v in ("false", "0") else None


def parse_profile(profile: Any) -> MediaProfileInfo | None:
    """A media1 Profile (token attribute, Name, VideoEncoderConfiguration); None without token."""
    token = text(field(profile, "token"))
    if token is None:
        return None
    return MediaProfileInfo(
        token=token,
        name=text(field(profile, "Name")),
        encoder=parse_encoder(field(profile, "VideoEncoderConfiguration")),
        stream_uri=None,
    )


def _host(network_host: Any) -> str | None:
    kind = text(field(network_host, "Type"))
    if kind == "DNS":
        return text(field(network_host, "DNSname"))
    if kind == "IPv6":
        return text(field(network_host, "IPv6Address"))
    return text(field(network_host, "IPv4Address")) or text(field(network_host, "DNSname"))


def parse_ntp(reply: Any) -> tuple[str, ...]:
    """GetNTP -> the servers in use (from DHCP when FromDHCP, else the manual ones)."""
    key = "NTPFromDHCP" if flag(field(reply, "FromDHCP")) else "NTPManual"
    return tuple(h for h in (_host(x) for x in every(reply, key)) if h)


def parse_recording_jobs(reply: Any) -> list[tuple[str, str]]:
    """GetRecordingJobs -> [(job token, recording token)]."""
    out: list[tuple[str, str]] = []
    for job in items(reply):
        token = text(field(job, "JobToken"))
        recording = text(field(job, "JobConfiguration", "RecordingToken"))
        if token:
            out.append((token, recording or token))
    return out
