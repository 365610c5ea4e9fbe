"""The health path's SOAP without zeep: the same requests zeep renders, the same readings.

zeep is the reference here: each template must be the request zeep builds from
onvif-zeep-async's WSDLs, the WS-UsernameToken must be the one zeep signs, and every reader must
take the same values from a real simulated camera's reply (each vendor's namespaces and
quirks) whether that reply went through zeep or through lxml.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from lxml import etree
from onvif.client import ZeepAsyncClient
from onvif.definition import SERVICES
from zeep.wsse.username import UsernameToken as ZeepUsernameToken

from fleetctl.adapters.http.pool import HttpPool
from fleetctl.adapters.onvif import client as onvif
from fleetctl.adapters.onvif.clock import camera_utc, field
from fleetctl.adapters.onvif.parse import (
    parse_capabilities,
    parse_device_info,
    parse_profile,
    parse_recording_jobs,
    parse_services,
    text,
)
from fleetctl.adapters.onvif.session import Conversation, OnvifCallError, pin_xaddr
from fleetctl.adapters.onvif.soap import (
    NAMESPACES,
    SERVICE_NS,
    Request,
    SoapFault,
    SoapReplyError,
    UsernameToken,
    request,
    response_of,
    stream_uri_request,
)
from fleetctl.adapters.onvif.zeep_client import ZEEP_SETTINGS, _documents, load_documents
from fleetctl.core.models import Camera, Credential
from fleetctl.core.probes import Failure
from fleetctl.core.secret import Secret
from fleetctl.sim.camera.model import SimCamera, Vendor
from fleetctl.sim.fleet import SimFleet

ZEEP_ARGS: dict[str, dict[str, Any]] = {
    "GetServices": {"IncludeCapability": False},
    "GetCapabilities": {"Category": "All"},
    "GetRecordingJobState": {"JobToken": "job <1> & 'x'"},
    "GetStreamUri": {
        "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
        "ProfileToken": "Profile_1 & <main>",
    },
}
OURS: list[tuple[str, Request]] = [
    ("devicemgmt", request("devicemgmt", "GetSystemDateAndTime")),
    ("devicemgmt", request("devicemgmt", "GetDeviceInformation")),
    ("devicemgmt", request("devicemgmt", "GetServices", IncludeCapability="false")),
    ("devicemgmt", request("devicemgmt", "GetCapabilities", Category="All")),
    ("devicemgmt", request("devicemgmt", "GetHostname")),
    ("devicemgmt", request("devicemgmt", "GetNTP")),
    ("media", request("media", "GetProfiles")),
    ("media", stream_uri_request("Profile_1 & <main>")),
    ("recording", request("recording", "GetRecordingJobs")),
    ("recording", request("recording", "GetRecordingJobState", JobToken="job <1> & 'x'")),
    ("search", request("search", "GetRecordingSummary")),
]


def shape(el: etree._Element) -> tuple[Any, ...]:
    """An element as namespaces, names, attributes, text and children: prefixes do not count."""
    return (
        el.tag,
        tuple(sorted(el.attrib.items())),
        (el.text or "").strip(),
        tuple(shape(c) for c in el),
    )


def zeep_client(service: str) -> tuple[Any, Any]:
    asyncio.run(load_documents((service,)))
    client = ZeepAsyncClient(wsdl=_documents[service], settings=ZEEP_SETTINGS)
    binding = client.wsdl.bindings[
        "{%s}%s" % (SERVICES[service]["ns"], SERVICES[service]["binding"])
    ]
    return client, binding


@pytest.mark.parametrize(("service", "req"), OURS, ids=[r.op for _, r in OURS])
def test_each_template_is_the_request_zeep_builds(service: str, req: Request) -> None:
    _client, binding = zeep_client(service)
    serialized = binding.get(req.op).create(**ZEEP_ARGS.get(req.op, {}))
    theirs = serialized.content.find("{http://www.w3.org/2003/05/soap-envelope}Body")[0]
    ours = etree.fromstring(req.envelope(None))
    assert ours.find("{http://www.w3.org/2003/05/soap-envelope}Header") is None
    (body,) = ours.find("{http://www.w3.org/2003/05/soap-envelope}Body")
    assert shape(body) == shape(theirs)
    # The SOAP 1.2 action travels in the Content-Type, as zeep's binding sends it.
    assert req.headers()["Content-Type"].endswith(f"action={serialized.headers['SOAPAction']}")


def test_namespaces_are_onvif_zeep_async_s() -> None:
    assert {k: SERVICES[k]["ns"] for k in SERVICE_NS} == SERVICE_NS
    assert set(NAMESPACES) <= set(SERVICE_NS)


def test_username_token_is_the_one_zeep_signs() -> None:
    nonce, created = b"0123456789abcdef", "2026-11-28T21:00:00Z"
    ours = UsernameToken("admin&<x>", "pä55:word", offset_s=0)
    zeep_token = ZeepUsernameToken(
        "admin&<x>",
        "pä55:word",
        use_digest=True,
        nonce=nonce.decode(),
        created=datetime(2026, 11, 28, 21, 0, 0, tzinfo=UTC),
        zulu_timestamp=True,
    )
    env = etree.Element("{http://www.w3.org/2003/05/soap-envelope}Envelope")
    etree.SubElement(env, "{http://www.w3.org/2003/05/soap-envelope}Header")
    zeep_token.apply(env, {})
    theirs = env.find(".//{*}Security")
    assert theirs.findtext(".//{*}Created") == created
    assert theirs.findtext(".//{*}Password") == ours.digest(nonce, created)
    # Same elements and attributes (digest, nonce and Created are fresh per request).
    header = etree.fromstring(ours.header())
    for el in (header, theirs):
        for leaf in el.iterfind(".//{*}UsernameToken/*"):
            if etree.QName(leaf).localname != "Username":
                leaf.text = "x"
    assert shape(header) == shape(theirs)
    assert header.findtext(".//{*}Username") == "admin&<x>"  # escaped on the wire, read back
    assert len(base64.b64decode(etree.fromstring(ours.header()).findtext(".//{*}Nonce"))) == 16
    assert "pä55" not in ours.header() and "pä55" not in repr(ours)


def test_created_follows_the_camera_clock() -> None:
    token = UsernameToken("u", "p", offset_s=-3600)
    when = datetime.strptime(token.created(), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((when - datetime.now(UTC)).total_seconds() + 3600) < 3


ENV = '<s:Envelope xmlns:s="{ns}"><s:Body>{body}</s:Body></s:Envelope>'
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"


@pytest.mark.parametrize(
    ("body", "ns", "expected"),
    [
        # SOAP 1.2 fault with an ONVIF subcode
        (
            "<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value xmlns:ter='http://www.onvif.org/ver10/error'>ter:NotAuthorized</s:Value></s:Subcode></s:Code>"
            "<s:Reason><s:Text xml:lang='en'>Sender not Authorized</s:Text></s:Reason></s:Fault>",
            SOAP12,
            SoapFault("Sender not Authorized", ("NotAuthorized",)),
        ),
        # SOAP 1.1 fault: faultcode/faultstring
        (
            "<s:Fault><faultcode>s:Client</faultcode><faultstring>bad</faultstring></s:Fault>",
            "http://schemas.xmlsoap.org/soap/envelope/",
            SoapFault("bad", ("Client",)),
        ),
        ("<x:Other xmlns:x='urn:x'/>", SOAP12, SoapReplyError("no GetDeviceInformationResponse")),
    ],
    ids=["soap12-fault-with-subcode", "soap11-fault", "not-the-response"],
)
def test_faults_and_wrong_replies(body: str, ns: str, expected: Exception) -> None:
    root = etree.fromstring(ENV.format(ns=ns, body=body))
    with pytest.raises(type(expected)) as err:
        response_of(root, request("devicemgmt", "GetDeviceInformation"))
    if isinstance(expected, SoapFault):
        assert (err.value.message, err.value.subcodes) == (expected.message, expected.subcodes)  # type: ignore[attr-defined]


def test_a_response_in_another_namespace_is_still_found() -> None:
    body = "<d:GetDeviceInformationResponse xmlns:d='http://www.onvif.org/ver10/device/wsdl2'><d:Model>M</d:Model></d:GetDeviceInformationResponse>"
    found = response_of(
        etree.fromstring(ENV.format(ns=SOAP12, body=body)),
        request("devicemgmt", "GetDeviceInformation"),
    )
    assert text(field(found, "Model")) == "M"


# -- the same readings through zeep and through lxml, from each simulated vendor ------------

VENDORS = {
    0: Vendor.HIKVISION,
    1: Vendor.DAHUA,
    4: Vendor.AXIS,
    5: Vendor.HIKVISION,
    8: Vendor.GENERIC,
}


@pytest.fixture
async def fleet() -> AsyncIterator[SimFleet]:
    async with SimFleet(
        cameras=9, faults="none", seed=3, rtsp=False, ssh=False, discovery=False, nat=0.0
    ) as f:
        yield f


def _camera(sim: SimCamera) -> Camera:
    return Camera(name=sim.name, host=sim.host, site=sim.site, port=sim.onvif_port)


async def _readings(conv: Conversation, fast: bool) -> dict[str, Any]:
    """Every health reading, through lxml (fast) or zeep, from one camera."""

    async def ask(service: str, req: Request, **zeep_args: Any) -> Any:
        if fast:
            return await conv.soap(req, service)
        return await conv.call(service, req.op, **zeep_args)

    out: dict[str, Any] = {}
    clock = await conv.measure_clock()
    out["clock_type"] = text(field(clock, "DateTimeType"))
    out["clock_known"] = camera_utc(clock) is not None
    out["device"] = parse_device_info(
        await ask("devicemgmt", request("devicemgmt", "GetDeviceInformation"))
    )
    reply = await ask(
        "devicemgmt",
        request("devicemgmt", "GetServices", IncludeCapability="false"),
        IncludeCapability=False,
    )
    out["services"] = services = parse_services(reply.findall("{*}Service") if fast else reply)
    reply = await ask(
        "devicemgmt", request("devicemgmt", "GetCapabilities", Category="All"), Category="All"
    )
    out["capabilities"] = parse_capabilities(reply.find("{*}Capabilities") if fast else reply)
    for name, ns in NAMESPACES.items():
        if ns in services and name != "devicemgmt":
            conv.xaddrs[name] = pin_xaddr(services[ns], conv.base)
    reply = await ask("media", request("media", "GetProfiles"))
    out["profiles"] = profiles = [
        parse_profile(p) for p in (reply.findall("{*}Profiles") if fast else reply)
    ]
    token = profiles[0].token
    setup = {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}
    reply = await ask("media", stream_uri_request(token), StreamSetup=setup, ProfileToken=token)
    out["uri"] = text(field(reply, "MediaUri", "Uri") if fast else field(reply, "Uri"))
    if "recording" in conv.xaddrs:
        reply = await ask("recording", request("recording", "GetRecordingJobs"))
        out["jobs"] = jobs = parse_recording_jobs(reply.findall("{*}JobItem") if fast else reply)
        job = jobs[0][0]
        reply = await ask(
            "recording", request("recording", "GetRecordingJobState", JobToken=job), JobToken=job
        )
        out["state"] = text(field(reply, "State", "State") if fast else field(reply, "State"))
        reply = await ask("search", request("search", "GetRecordingSummary"))
        until = field(reply, "Summary", "DataUntil") if fast else field(reply, "DataUntil")
        out["until"] = onvif.xs_datetime(text(until)) if fast else until
    return out


@pytest.mark.parametrize(
    "index", sorted(VENDORS), ids=[f"{i}-{v.value}" for i, v in sorted(VENDORS.items())]
)
async def test_lxml_reads_what_zeep_reads_from_each_vendor(
    fleet: SimFleet, index: int, http_pool: HttpPool
) -> None:
    sim = fleet.cameras[index]
    assert sim.vendor is VENDORS[index]
    user, password = fleet.credentials
    cred = Credential("fleet", user, Secret(password))
    readings = []
    for fast in (True, False):
        conv = Conversation(
            _camera(sim), cred, max_bytes=2_000_000, read_timeout_s=5, pool=http_pool
        )
        readings.append(await _readings(conv, fast))
    lxml_view, zeep_view = readings
    assert lxml_view["device"].manufacturer and lxml_view["profiles"] and lxml_view["uri"]
    if "state" in zeep_view:  # zeep unwraps StateInformation: its State may be an object
        zeep_view["state"] = (
            text(field(zeep_view["state"], "State"))
            if hasattr(zeep_view["state"], "State")
            else zeep_view["state"]
        )
    if "until" in zeep_view:  # the recording goes on between the two readings: same clock, later
        ours, theirs = lxml_view.pop("until"), zeep_view.pop("until")
        theirs = theirs if theirs.tzinfo else theirs.replace(tzinfo=UTC)
        assert ours is not None and 0 <= (theirs - ours).total_seconds() < 30
    assert lxml_view == zeep_view


async def test_a_wrong_password_is_refused_as_auth(fleet: SimFleet, http_pool: HttpPool) -> None:
    user, _ = fleet.credentials
    conv = Conversation(
        _camera(fleet.cameras[0]),
        Credential("x", user, Secret("wrong-password")),
        max_bytes=100_000,
        read_timeout_s=5,
        pool=http_pool,
    )
    await conv.measure_clock()
    with pytest.raises(OnvifCallError) as err:
        await conv.authed_soap(request("devicemgmt", "GetDeviceInformation"))
    assert err.value.failure is Failure.AUTH
    assert "wrong-password" not in str(err.value)
    assert [op for op, _ in conv.calls].count("GetSystemDateAndTime") == 2  # re-measured once
