"""Media2 (ONVIF ver20 media): profiles and stream URIs for cameras without media1.

onvif-zeep-async bundles the 2.4.2 WSDLs (2014): no media2. Newer firmwares (Profile T) may
offer only media2, so the probe falls back to it with hand-built requests through the same
conversation (signed, pinned, capped, timed: ``Conversation.soap``). Replies are read with lxml, defensively: Media2
puts GovLength and Profile in attributes and Encoding may be H265, which media1 cannot express.
"""

from __future__ import annotations

import asyncio

from lxml import etree

from fleetctl.adapters.onvif.parse import integer, number, text, tristate
from fleetctl.adapters.onvif.session import Conversation, OnvifCallError, pin_stream_uri
from fleetctl.adapters.onvif.soap import Request, request
from fleetctl.core.probes import EncoderSettings, Failure, MediaProfileInfo

MEDIA2_NS = "http://www.onvif.org/ver20/media/wsdl"
_TT = "http://www.onvif.org/ver10/schema"


def _request(op: str, **children: str) -> Request:
    return request(MEDIA2_NS, op, **children)


def parse_encoder2(enc: etree._Element | None) -> EncoderSettings | None:
    """A VideoEncoder2Configuration element -> EncoderSettings (None where unreadable)."""
    if enc is None:
        return None
    encoding = text(enc.findtext(f"{{{_TT}}}Encoding"))
    return EncoderSettings(
        encoding=encoding.upper() if encoding else None,
        width=integer(enc.findtext(f"{{{_TT}}}Resolution/{{{_TT}}}Width")),
        height=integer(enc.findtext(f"{{{_TT}}}Resolution/{{{_TT}}}Height")),
        fps=number(enc.findtext(f"{{{_TT}}}RateControl/{{{_TT}}}FrameRateLimit")),
        bitrate_kbps=number(enc.findtext(f"{{{_TT}}}RateControl/{{{_TT}}}BitrateLimit")),
        gop=integer(enc.get("GovLength")),
        cbr=tristate(enc.find(f"{{{_TT}}}RateControl").get("ConstantBitRate"))
        if enc.find(f"{{{_TT}}}RateControl") is not None
        else None,
    )


def parse_profiles2(reply: etree._Element) -> list[MediaProfileInfo]:
    """A GetProfilesResponse (media2) -> profiles with encoders, URIs still unknown."""
    out: list[MediaProfileInfo] = []
    for prof in reply.iterfind(f"{{{MEDIA2_NS}}}Profiles"):
        token = text(prof.get("token"))
        if token is None:
            continue
        enc = prof.find(f"{{{MEDIA2_NS}}}Configurations/{{{MEDIA2_NS}}}VideoEncoder")
        name = text(prof.findtext(f"{{{MEDIA2_NS}}}Name"))
        out.append(MediaProfileInfo(token, name, parse_encoder2(enc), None))
    return out


async def media2_profiles(conv: Conversation) -> tuple[MediaProfileInfo, ...]:
    """GetProfiles(Type=VideoEncoder) then GetStreamUri(RTSP) per profile, over media2."""
    reply = await conv.soap(_request("GetProfiles", Type="VideoEncoder"), "media2")
    profiles = parse_profiles2(reply)

    async def uri_of(token: str) -> str | None:
        # Protocol RTSP = RTP over RTSP over TCP: what our stream probe speaks.
        req = _request("GetStreamUri", Protocol="RTSP", ProfileToken=token)
        try:
            got = await conv.soap(req, "media2")
        except OnvifCallError as err:
            if err.failure is Failure.TIMEOUT:
                raise
            return None
        uri = text(got.findtext(f"{{{MEDIA2_NS}}}Uri"))
        return pin_stream_uri(uri, conv.camera.host) if uri else None

    uris = await asyncio.gather(*(uri_of(p.token) for p in profiles))
    return tuple(
        MediaProfileInfo(p.token, p.name, p.encoder, uri)
        for p, uri in zip(profiles, uris, strict=True)
    )
