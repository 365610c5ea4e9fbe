"""How each vendor's RTSP server looks to a client: realm, schemes, control names, quirks.

Modelled on what the firmwares answer (captures of Hikvision, Dahua, Axis and live555-based
generic cameras): clients must cope with all of them, so the simulator keeps them distinct.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleetctl.sim.camera.model import SimCamera, Vendor


@dataclass(frozen=True)
class RtspFlavour:
    realm: str
    basic: bool  # Basic offered beside Digest (Axis, live555); Hikvision/Dahua: Digest only
    control: str  # the track's a=control, relative to Content-Base
    server: str  # Server header; "" = none sent
    session_name: str  # SDP s=
    needs_user_agent: bool = False  # 401 for a request without User-Agent, whatever the creds
    interleaved: str = ""  # channels granted whatever was asked ("4-5", "0"); "" = as asked


def flavour_for(cam: SimCamera) -> RtspFlavour:
    if cam.vendor is Vendor.HIKVISION:
        # Realm "IP Camera(XXXXX)": five characters of the serial, as the firmware does.
        return RtspFlavour(
            f"IP Camera({cam.serial[-5:]})", False, "trackID=1", "", "Media Presentation"
        )
    if cam.vendor is Vendor.DAHUA:
        return RtspFlavour(
            f"Login to {cam.serial}",
            False,
            "trackID=0",
            "Rtsp Server/3.0",
            "Media Server",
            needs_user_agent=True,
        )
    if cam.vendor is Vendor.AXIS:
        realm = "AXIS_" + cam.mac.replace(":", "").upper()
        return RtspFlavour(
            realm, True, "streamid=0", "GStreamer RTSP server", "Session streamed with GStreamer"
        )
    # Generic boxes run live555 and grant their own channel pair, whatever the client asked.
    return RtspFlavour(
        "LIVE555 Streaming Media",
        True,
        "track1",
        "LIVE555 Streaming Media v2018.08.28",
        "H.264 Video, streamed by LIVE555",
        interleaved="4-5",
    )
