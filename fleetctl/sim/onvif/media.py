"""Media (ver10) and Media2 (ver20) services: profiles, stream URIs, video encoder configuration.

Encoder settings live on the shared ``SimCamera``: what SetVideoEncoderConfiguration writes is
what the RTSP server streams next (fps, bitrate, resolution in the SDP).
"""

from __future__ import annotations

from typing import Any

from fleetctl.sim.camera.model import EncoderConfig, MediaProfile
from fleetctl.sim.onvif.soap import MEDIA, MEDIA2, Ctx, SoapFault, find, op, text, x

# What the options advertise; Set outside them is refused (as on cameras: check ...Options first).
RESOLUTIONS = (
    (3840, 2160),
    (2688, 1520),
    (2560, 1440),
    (1920, 1080),
    (1280, 720),
    (704, 576),
    (640, 480),
    (640, 360),
    (352, 288),
)
FPS_RANGE = (1, 30)
BITRATE_RANGE = (32, 16384)
GOP_RANGE = (1, 400)
QUALITY_RANGE = (1.0, 6.0)


def _profile(ctx: Ctx, token: str) -> MediaProfile:
    for p in ctx.cam.profiles:
        if p.token == token:
            return p
    raise SoapFault("ter:NoProfile", f"no profile {token!r}")


def _encoder(ctx: Ctx, token: str) -> EncoderConfig:
    for p in ctx.cam.profiles:
        if p.encoder.token == token:
            return p.encoder
    raise SoapFault("ter:NoConfig", f"no video encoder configuration {token!r}")


_CBR = ' ConstantBitRate="true"'


def encoder_xml(e: EncoderConfig, tag: str = "trt:Configuration") -> str:
    return (
        f'<{tag} token="{x(e.token)}"><tt:Name>{x(e.name)}</tt:Name><tt:UseCount>1</tt:UseCount>'
        f"<tt:Encoding>{x(e.encoding)}</tt:Encoding><tt:Resolution><tt:Width>{e.width}</tt:Width>"
        f"<tt:Height>{e.height}</tt:Height></tt:Resolution><tt:Quality>{e.quality:g}</tt:Quality>"
        # media1 firmware that knows its rate control says so in an attribute (as media2 does)
        f"<tt:RateControl{_CBR if e.cbr else ''}>"
        f"<tt:FrameRateLimit>{e.fps:g}</tt:FrameRateLimit>"
        "<tt:EncodingInterval>1</tt:EncodingInterval>"
        f"<tt:BitrateLimit>{e.bitrate_kbps}</tt:BitrateLimit></tt:RateControl>"
        f"<tt:H264><tt:GovLength>{e.gop}</tt:GovLength><tt:H264Profile>{x(e.profile)}"
        "</tt:H264Profile></tt:H264><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type>"
        "<tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address><tt:Port>0</tt:Port><tt:TTL>1"
        "</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast>"
        f"<tt:SessionTimeout>PT60S</tt:SessionTimeout></{tag}>"
    )


def _source_xml(tag: str) -> str:
    return (
        f'<{tag} token="VideoSourceConfigToken"><tt:Name>VideoSourceConfig</tt:Name>'
        "<tt:UseCount>2</tt:UseCount><tt:SourceToken>VideoSource_1</tt:SourceToken>"
        f'<tt:Bounds x="0" y="0" width="1920" height="1080"/></{tag}>'
    )


def stream_uri(ctx: Ctx, profile: MediaProfile) -> str:
    # The NAT quirk: the URI names the address the camera believes it has, not the one reached.
    return f"rtsp://{ctx.cam.reported_host}:{ctx.cam.rtsp_port}{profile.stream_path}"


@op(MEDIA, "GetProfiles")
def get_profiles(ctx: Ctx, req: Any) -> str:
    items = "".join(
        f'<trt:Profiles token="{x(p.token)}" fixed="true"><tt:Name>{x(p.name)}</tt:Name>'
        f"{_source_xml('tt:VideoSourceConfiguration')}"
        f"{encoder_xml(p.encoder, 'tt:VideoEncoderConfiguration')}</trt:Profiles>"
        for p in ctx.cam.profiles
    )
    return f"<trt:GetProfilesResponse>{items}</trt:GetProfilesResponse>"


@op(MEDIA, "GetProfile")
def get_profile(ctx: Ctx, req: Any) -> str:
    p = _profile(ctx, text(req, "trt:ProfileToken"))
    return (
        f'<trt:GetProfileResponse><trt:Profile token="{x(p.token)}" fixed="true">'
        f"<tt:Name>{x(p.name)}</tt:Name>{_source_xml('tt:VideoSourceConfiguration')}"
        f"{encoder_xml(p.encoder, 'tt:VideoEncoderConfiguration')}</trt:Profile>"
        "</trt:GetProfileResponse>"
    )


@op(MEDIA, "GetStreamUri")
def get_stream_uri(ctx: Ctx, req: Any) -> str:
    p = _profile(ctx, text(req, "trt:ProfileToken"))
    transport = text(req, "trt:StreamSetup/tt:Transport/tt:Protocol", "RTSP")
    if transport not in ("RTSP", "UDP", "TCP", "HTTP"):
        raise SoapFault("ter:InvalidArgVal", f"transport {transport!r}")
    return (
        f"<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>{x(stream_uri(ctx, p))}</tt:Uri>"
        "<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false"
        "</tt:InvalidAfterReboot><tt:Timeout>PT60S</tt:Timeout></trt:MediaUri>"
        "</trt:GetStreamUriResponse>"
    )


@op(MEDIA, "GetVideoEncoderConfigurations")
def get_video_encoder_configurations(ctx: Ctx, req: Any) -> str:
    items = "".join(encoder_xml(p.encoder, "trt:Configurations") for p in ctx.cam.profiles)
    return (
        f"<trt:GetVideoEncoderConfigurationsResponse>{items}"
        "</trt:GetVideoEncoderConfigurationsResponse>"
    )


@op(MEDIA, "GetVideoEncoderConfiguration")
def get_video_encoder_configuration(ctx: Ctx, req: Any) -> str:
    e = _encoder(ctx, text(req, "trt:ConfigurationToken"))
    return (
        f"<trt:GetVideoEncoderConfigurationResponse>{encoder_xml(e)}"
        "</trt:GetVideoEncoderConfigurationResponse>"
    )


@op(MEDIA, "GetVideoEncoderConfigurationOptions")
def get_video_encoder_configuration_options(ctx: Ctx, req: Any) -> str:
    res = "".join(
        f"<tt:ResolutionsAvailable><tt:Width>{w}</tt:Width><tt:Height>{h}</tt:Height>"
        "</tt:ResolutionsAvailable>"
        for w, h in RESOLUTIONS
    )
    return (
        "<trt:GetVideoEncoderConfigurationOptionsResponse><trt:Options>"
        f"<tt:QualityRange><tt:Min>{QUALITY_RANGE[0]:g}</tt:Min><tt:Max>{QUALITY_RANGE[1]:g}"
        f"</tt:Max></tt:QualityRange><tt:H264>{res}<tt:GovLengthRange><tt:Min>{GOP_RANGE[0]}"
        f"</tt:Min><tt:Max>{GOP_RANGE[1]}</tt:Max></tt:GovLengthRange><tt:FrameRateRange>"
        f"<tt:Min>{FPS_RANGE[0]}</tt:Min><tt:Max>{FPS_RANGE[1]}</tt:Max></tt:FrameRateRange>"
        "<tt:EncodingIntervalRange><tt:Min>1</tt:Min><tt:Max>1</tt:Max></tt:EncodingIntervalRange>"
        "<tt:H264ProfilesSupported>Baseline</tt:H264ProfilesSupported>"
        "<tt:H264ProfilesSupported>Main</tt:H264ProfilesSupported>"
        "<tt:H264ProfilesSupported>High</tt:H264ProfilesSupported></tt:H264>"
        f"<tt:Extension><tt:H264>{res}<tt:GovLengthRange><tt:Min>{GOP_RANGE[0]}</tt:Min><tt:Max>"
        f"{GOP_RANGE[1]}</tt:Max></tt:GovLengthRange><tt:FrameRateRange><tt:Min>{FPS_RANGE[0]}"
        f"</tt:Min><tt:Max>{FPS_RANGE[1]}</tt:Max></tt:FrameRateRange><tt:EncodingIntervalRange>"
        "<tt:Min>1</tt:Min><tt:Max>1</tt:Max></tt:EncodingIntervalRange>"
        "<tt:H264ProfilesSupported>Main</tt:H264ProfilesSupported><tt:BitrateRange>"
        f"<tt:Min>{BITRATE_RANGE[0]}</tt:Min><tt:Max>{BITRATE_RANGE[1]}</tt:Max>"
        "</tt:BitrateRange></tt:H264></tt:Extension>"
        "</trt:Options></trt:GetVideoEncoderConfigurationOptionsResponse>"
    )


def _num(value: str, what: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise SoapFault("ter:InvalidArgVal", f"{what} is not a number") from None


def apply_encoder(e: EncoderConfig, conf: Any, ns: str) -> None:
    """Validate everything against the options first, then write: all or nothing."""
    w = int(_num(text(conf, "tt:Resolution/tt:Width", str(e.width)), "Width"))
    h = int(_num(text(conf, "tt:Resolution/tt:Height", str(e.height)), "Height"))
    fps = _num(text(conf, "tt:RateControl/tt:FrameRateLimit", f"{e.fps:g}"), "FrameRateLimit")
    kbps = int(_num(text(conf, "tt:RateControl/tt:BitrateLimit", str(e.bitrate_kbps)), "Bitrate"))
    gop = int(_num(text(conf, "tt:H264/tt:GovLength", str(e.gop)), "GovLength"))
    if ns == MEDIA2:
        gop = int(_num(conf.get("GovLength", str(gop)), "GovLength"))
    quality = _num(text(conf, "tt:Quality", f"{e.quality:g}"), "Quality")
    encoding = text(conf, "tt:Encoding", e.encoding)
    if (w, h) not in RESOLUTIONS:
        raise SoapFault("ter:ConfigModify", f"resolution {w}x{h} not supported")
    if not FPS_RANGE[0] <= fps <= FPS_RANGE[1] or not BITRATE_RANGE[0] <= kbps <= BITRATE_RANGE[1]:
        raise SoapFault("ter:ConfigModify", "frame rate or bitrate out of range")
    if not GOP_RANGE[0] <= gop <= GOP_RANGE[1] or encoding not in ("H264", "H265"):
        raise SoapFault("ter:ConfigModify", "GOP length or encoding not supported")
    e.width, e.height, e.fps, e.bitrate_kbps, e.gop = w, h, fps, kbps, gop
    e.quality, e.encoding = quality, encoding
    name = text(conf, "tt:Name")
    if name:
        e.name = name


@op(MEDIA, "SetVideoEncoderConfiguration", write=True)
def set_video_encoder_configuration(ctx: Ctx, req: Any) -> str:
    conf = find(req, "trt:Configuration")
    if conf is None:
        raise SoapFault("ter:InvalidArgVal", "Configuration missing")
    apply_encoder(_encoder(ctx, conf.get("token", "")), conf, MEDIA)
    return "<trt:SetVideoEncoderConfigurationResponse/>"


# -- Media2 -----------------------------------------------------------------------------------


def _encoder2_xml(e: EncoderConfig, tag: str) -> str:
    return (
        f'<{tag} token="{x(e.token)}" GovLength="{e.gop}" Profile="{x(e.profile)}">'
        f"<tt:Name>{x(e.name)}</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>{x(e.encoding)}"
        f"</tt:Encoding><tt:Resolution><tt:Width>{e.width}</tt:Width><tt:Height>{e.height}"
        f'</tt:Height></tt:Resolution><tt:RateControl ConstantBitRate="{x(e.cbr)}"><tt:FrameRateLimit>'
        f"{e.fps:g}</tt:FrameRateLimit><tt:BitrateLimit>{e.bitrate_kbps}</tt:BitrateLimit>"
        f"</tt:RateControl><tt:Quality>{e.quality:g}</tt:Quality></{tag}>"
    )


@op(MEDIA2, "GetProfiles")
def get_profiles2(ctx: Ctx, req: Any) -> str:
    items = "".join(
        f'<tr2:Profiles token="{x(p.token)}" fixed="true"><tr2:Name>{x(p.name)}</tr2:Name>'
        f"<tr2:Configurations>{_source_xml('tr2:VideoSource')}"
        f"{_encoder2_xml(p.encoder, 'tr2:VideoEncoder')}</tr2:Configurations></tr2:Profiles>"
        for p in ctx.cam.profiles
    )
    return f"<tr2:GetProfilesResponse>{items}</tr2:GetProfilesResponse>"


@op(MEDIA2, "GetStreamUri")
def get_stream_uri2(ctx: Ctx, req: Any) -> str:
    p = _profile(ctx, text(req, "tr2:ProfileToken"))
    if text(req, "tr2:Protocol", "RTSP") not in ("RTSP", "RtspUnicast", "RtspOverHttp"):
        raise SoapFault("ter:InvalidArgVal", "unsupported Protocol")
    return (
        f"<tr2:GetStreamUriResponse><tr2:Uri>{x(stream_uri(ctx, p))}</tr2:Uri>"
        "</tr2:GetStreamUriResponse>"
    )


@op(MEDIA2, "GetVideoEncoderConfigurations")
def get_video_encoder_configurations2(ctx: Ctx, req: Any) -> str:
    token = text(req, "tr2:ConfigurationToken")
    encs = [p.encoder for p in ctx.cam.profiles if not token or p.encoder.token == token]
    if token and not encs:
        raise SoapFault("ter:NoConfig", f"no video encoder configuration {token!r}")
    items = "".join(_encoder2_xml(e, "tr2:Configurations") for e in encs)
    return (
        f"<tr2:GetVideoEncoderConfigurationsResponse>{items}"
        "</tr2:GetVideoEncoderConfigurationsResponse>"
    )


@op(MEDIA2, "SetVideoEncoderConfiguration", write=True)
def set_video_encoder_configuration2(ctx: Ctx, req: Any) -> str:
    conf = find(req, "tr2:Configuration")
    if conf is None:
        raise SoapFault("ter:InvalidArgVal", "Configuration missing")
    apply_encoder(_encoder(ctx, conf.get("token", "")), conf, MEDIA2)
    return "<tr2:SetVideoEncoderConfigurationResponse/>"
