"""The simulator's Profile G (search, recording, replay), proven with a client nobody here wrote.

onvif-zeep-async's own service objects (``create_search_service``, ``create_recording_service``,
``create_replay_service``) talk to simulated cameras over loopback, with the search, recording and
replay WSDLs the package ships. zeep runs strict, and every reply is also checked against the
WSDL's output message by zeep itself (parsed strictly, rendered back, which enforces required
elements and types) and must come as SOAP 1.2 (``application/soap+xml``). Where zeep and the
simulator disagree, the simulator is wrong.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import zeep
import zeep.exceptions
from lxml import etree
from onvif import ONVIFCamera
from onvif.settings import DEFAULT_SETTINGS
from zeep.xsd import AnyObject, CompoundValue
from zeep.xsd.context import XmlParserContext

from fleetctl.sim.camera.model import SimCamera, Vendor
from fleetctl.sim.fleet import SimFleet

SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
TER = "http://www.onvif.org/ver10/error"
WSNT = "http://docs.oasis-open.org/wsn/b-2"
TOPIC = "tns1:RecordingHistory/Track/State"
CONCRETE_SET = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet"
NS = {
    "search": "http://www.onvif.org/ver10/search/wsdl",
    "recording": "http://www.onvif.org/ver10/recording/wsdl",
    "replay": "http://www.onvif.org/ver10/replay/wsdl",
}
NO_EVENT_SEARCH = 12  # a Dahua whose firmware keeps only the summary (sim/vendors/search.py)


class Wire(zeep.Plugin):  # type: ignore[misc]
    """Every reply zeep receives (faults too): the operation, the envelope, the HTTP headers."""

    def __init__(self) -> None:
        self.replies: list[tuple[Any, Any, dict[str, str]]] = []

    def ingress(self, envelope: Any, http_headers: Any, operation: Any) -> tuple[Any, Any]:
        self.replies.append((operation, envelope, dict(http_headers)))
        return envelope, http_headers


class Client:
    """An ONVIFCamera with the search, recording and replay services, every reply recorded."""

    def __init__(self, cam: SimCamera, user: str, password: str) -> None:
        self.camera = ONVIFCamera(cam.host, cam.onvif_port, user, password)
        self.wire = Wire()
        self.services: dict[str, Any] = {}

    async def open(self) -> None:
        await self.camera.update_xaddrs()
        device = await self.camera.create_devicemgmt_service()
        self.services = {
            "device": device,
            "search": await self.camera.create_search_service(),
            "recording": await self.camera.create_recording_service(),
            "replay": await self.camera.create_replay_service(),
        }
        for service in self.services.values():
            service.zeep_client.plugins.append(self.wire)

    def __getattr__(self, name: str) -> Any:
        return self.services[name]


@pytest.fixture(autouse=True)
def _strict_zeep() -> Iterator[None]:
    # onvif-zeep-async turns zeep's strict mode off; an unexpected element must not pass here.
    with DEFAULT_SETTINGS(strict=True):
        yield


@pytest.fixture
async def fleet() -> AsyncIterator[SimFleet]:
    # 0 Hikvision, 1 Dahua (SOAP-ENV prefix), 4 Axis ("onvif:" for the schema), 12 a Dahua
    # without event search: the slots of sim/fleet.py's VENDOR_CYCLE and sim/vendors/search.py.
    async with SimFleet(cameras=13, seed=5, rtsp=False, discovery=False) as f:
        yield f


@pytest.fixture
async def client_for(fleet: SimFleet) -> AsyncIterator[Any]:
    clients: list[Client] = []

    async def make(cam: SimCamera) -> Client:
        client = Client(cam, *fleet.credentials)
        clients.append(client)
        await client.open()
        return client

    yield make
    for client in clients:
        await client.camera.close()


def conforms(wire: Wire) -> list[str]:
    """Check every recorded reply the way zeep reads one, strictly; the operations' names."""
    names = []
    strict = zeep.Settings(strict=True)
    for operation, envelope, headers in wire.replies:
        assert headers["Content-Type"].startswith("application/soap+xml"), headers
        assert envelope.tag == f"{{{SOAP12}}}Envelope"
        reply = envelope.find(f"{{{SOAP12}}}Body")[0]
        names.append(operation.name)
        if reply.tag == f"{{{SOAP12}}}Fault":
            continue
        element = operation.output.body
        assert reply.tag == element.qname.text, (operation.name, reply.tag)
        schema = operation.binding.wsdl.types
        reply = copy.deepcopy(reply)
        for leaf in reply.iter():
            # zeep reads an empty element as None, then renders None as missing: an empty
            # xs:string (tt:Description) is valid and stays told apart from an absent element.
            if len(leaf) == 0 and not leaf.text:
                leaf.text = " "
        value = element.parse(reply, schema, context=XmlParserContext(settings=strict))
        element.render(etree.Element("check"), typed_any(value, schema))  # zeep's own validation
    wire.replies.clear()
    return names


def typed_any(value: Any, schema: Any) -> Any:
    """Hand an xs:any that zeep parsed into a typed value (wsnt:Message's tt:Message) back as
    zeep renders one, an AnyObject of its element, so the render validates it too."""
    if isinstance(value, list):
        return [typed_any(v, schema) for v in value]
    if isinstance(value, CompoundValue):
        for key in value:
            inner = typed_any(value[key], schema)
            if key.startswith("_value_") and isinstance(inner, CompoundValue):
                inner = AnyObject(schema.get_element(inner._xsd_type.qname), inner)
            value[key] = inner
    return value


def topic_filter() -> dict[str, Any]:
    """tt:EventFilter is xs:any in the WSDL: zeep takes the wsnt:TopicExpression as an element."""
    expression = etree.Element(
        f"{{{WSNT}}}TopicExpression", nsmap={"tns1": "http://www.onvif.org/ver10/topics"}
    )
    expression.set("Dialect", CONCRETE_SET)
    expression.text = TOPIC
    return {"_value_1": [expression]}


def subcodes(fault: zeep.exceptions.Fault) -> list[str]:
    """The fault's nested Subcode values, each in ONVIF's error namespace."""
    assert all(etree.QName(c).namespace == TER for c in fault.subcodes)
    return [etree.QName(c).localname for c in fault.subcodes]


def at(ts: float) -> datetime:
    return datetime.fromtimestamp(int(ts), UTC)  # xs:dateTime to the second, as cameras write


def near(got: datetime, ts: float, within_s: float = 3.0) -> bool:
    """``got`` is the history's instant ``ts`` as the camera writes it, read a moment later: a
    card that overwrites moves its earliest recording forward with the clock, and the newest
    recording is "now", so a second boundary may pass between the two readings."""
    return abs(got.timestamp() - at(ts).timestamp()) <= within_s


@pytest.mark.parametrize("index", [0, 1, 4])
async def test_services_and_capabilities_advertise_search_recording_and_replay(
    fleet: SimFleet, client_for: Any, index: int
) -> None:
    cam = fleet.cameras[index]
    client = await client_for(cam)
    base = f"http://{cam.host}:{cam.onvif_port}/onvif"
    for name, namespace in NS.items():  # what update_xaddrs read from GetServices
        assert client.camera.xaddrs[namespace] == f"{base}/{name}_service"
    services = await client.device.GetServices({"IncludeCapability": False})
    versions = {s.Namespace: (s.Version.Major, s.Version.Minor) for s in services}
    assert all(versions[ns] >= (2, 0) for ns in NS.values())
    caps = await client.device.GetCapabilities({"Category": "All"})
    # The 2.4.2 schema opens CapabilitiesExtension with xs:any: zeep hands the entries as elements.
    extension = {etree.QName(e).localname: e for e in caps.Extension._value_1}
    assert {n: extension[n].findtext("{*}XAddr") for n in ("Recording", "Search", "Replay")} == {
        "Recording": f"{base}/recording_service",
        "Search": f"{base}/search_service",
        "Replay": f"{base}/replay_service",
    }
    assert extension["Search"].findtext("{*}MetadataSearch") == "false"
    # Every ONVIF service tells its capabilities, on its own and in GetServices when asked.
    search = await client.search.GetServiceCapabilities()
    assert (search.MetadataSearch, search.GeneralStartEvents) == (False, False)
    recording = await client.recording.GetServiceCapabilities()
    assert (recording.DynamicRecordings, recording.MaxRecordings) == (False, 1)
    assert recording.MaxRecordingJobs == 1 and recording.Options is False
    replay = await client.replay.GetServiceCapabilities()
    assert (replay.ReversePlayback, replay.RTP_RTSP_TCP) == (False, True)
    listed = await client.device.GetServices({"IncludeCapability": True})
    told = {
        s.Namespace: etree.QName(s.Capabilities._value_1)
        for s in listed
        if s.Namespace in NS.values()
    }
    assert told == {ns: etree.QName(ns, "Capabilities") for ns in NS.values()}
    assert conforms(client.wire) == [
        "GetServices",
        "GetCapabilities",
        "GetServiceCapabilities",
        "GetServiceCapabilities",
        "GetServiceCapabilities",
        "GetServices",
    ]


@pytest.mark.parametrize("index", [0, 1, 4])
async def test_recordings_summary_and_replay_uri_read_by_zeep(
    fleet: SimFleet, client_for: Any, index: int
) -> None:
    cam = fleet.cameras[index]
    spans = cam.history.intervals(cam.now()) if cam.history else []
    assert spans, "a camera with a card records"
    client = await client_for(cam)

    summary = await client.search.GetRecordingSummary()
    assert summary.NumberRecordings == 1
    assert near(summary.DataFrom, spans[0][0])
    assert abs(summary.DataUntil.timestamp() - cam.now()) < 5

    token = await client.search.FindRecordings(
        {"Scope": {}, "MaxMatches": 10, "KeepAliveTime": timedelta(seconds=10)}
    )
    found: list[Any] = []
    for _ in range(10):  # GetRecordingSearchResults until the camera says Completed
        page = await client.search.GetRecordingSearchResults(
            {
                "SearchToken": token,
                "MinResults": 1,
                "MaxResults": 10,
                "WaitTime": timedelta(seconds=1),
            }
        )
        found += page.RecordingInformation
        if page.SearchState == "Completed":
            break
    assert page.SearchState == "Completed"
    assert [r.RecordingToken for r in found] == ["Recording_1"]
    recording = found[0].RecordingToken
    ended = await client.search.EndSearch({"SearchToken": token})
    assert abs(ended.timestamp() - cam.now()) < 5
    with pytest.raises(zeep.exceptions.Fault) as gone:  # the session is gone once ended
        await client.search.GetRecordingSearchResults({"SearchToken": token})
    assert subcodes(gone.value) == ["InvalidArgVal", "InvalidToken"]
    assert gone.value.code.rpartition(":")[2] == "Sender"

    info = await client.search.GetRecordingInformation({"RecordingToken": recording})
    assert (info.Source.Name, info.Source.Location) == (cam.name, cam.site)
    assert info.RecordingStatus == "Recording" and info.Content == "continuous"
    assert near(info.EarliestRecording, spans[0][0])
    track = info.Track[0]
    assert (track.TrackToken, track.TrackType) == ("VIDEO001", "Video")
    assert near(track.DataFrom, spans[0][0]) and near(track.DataTo, spans[-1][1])

    recordings = await client.recording.GetRecordings()
    assert [r.RecordingToken for r in recordings] == [recording]
    assert recordings[0].Configuration.Source.Name == cam.name
    # The recording's tracks are the ones GetRecordingInformation names.
    assert [(t.TrackToken, t.Configuration.TrackType) for t in recordings[0].Tracks.Track] == [
        ("VIDEO001", "Video")
    ]
    jobs = await client.recording.GetRecordingJobs()
    assert [(j.JobToken, j.JobConfiguration.RecordingToken) for j in jobs] == [
        ("RecordingJob_1", recording)
    ]
    assert jobs[0].JobConfiguration.Mode == "Active"
    state = await client.recording.GetRecordingJobState({"JobToken": jobs[0].JobToken})
    assert (state.RecordingToken, state.State) == (recording, "Active")

    uri = await client.replay.GetReplayUri(
        {
            "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
            "RecordingToken": recording,
        }
    )
    assert uri == f"rtsp://{cam.host}:{cam.rtsp_port}/onvif-replay/{recording}"
    assert cam.host.startswith("127.")
    # A token the camera does not have: env:Sender, ter:InvalidArgVal, then what was wrong.
    unknown = [
        (client.search.GetRecordingInformation, {"RecordingToken": "Recording_9"}, "NoRecording"),
        (
            client.replay.GetReplayUri,
            {
                "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
                "RecordingToken": "Recording_9",
            },
            "NoRecording",
        ),
        (client.recording.GetRecordingJobState, {"JobToken": "RecordingJob_9"}, "NoRecordingJob"),
    ]
    for operation, request, why in unknown:
        with pytest.raises(zeep.exceptions.Fault) as refused:
            await operation(request)
        assert refused.value.code.rpartition(":")[2] == "Sender"
        assert subcodes(refused.value) == ["InvalidArgVal", why]
    assert conforms(client.wire) == [
        "GetRecordingSummary",
        "FindRecordings",
        "GetRecordingSearchResults",
        "EndSearch",
        "GetRecordingSearchResults",
        "GetRecordingInformation",
        "GetRecordings",
        "GetRecordingJobs",
        "GetRecordingJobState",
        "GetReplayUri",
        "GetRecordingInformation",
        "GetReplayUri",
        "GetRecordingJobState",
    ]


@pytest.mark.parametrize("index", [0, 4])
async def test_find_events_pages_the_power_cut_as_zeep_reads_it(
    fleet: SimFleet, client_for: Any, index: int
) -> None:
    cam = fleet.cameras[index]
    assert cam.history is not None
    g0, g1 = next((a, b) for a, b, cause in cam.history.gaps if cause == "power")
    start, end = g0 - 1800, g1 + 1800  # the night of the cut, on the camera's clock
    spans = cam.history.intervals(cam.now())
    expected = [(at(start), any(a <= start < b for a, b in spans), True)]
    for a, b in spans:  # what a real recorder says: data starts at a, stops at b
        expected += [(at(a), True, False)] if start < a <= end else []
        expected += [(at(b), False, False)] if start < b <= end else []
    client = await client_for(cam)
    token = await client.search.FindEvents(
        {
            "StartPoint": at(start),
            "EndPoint": at(end),
            "Scope": {},
            "SearchFilter": topic_filter(),
            "IncludeStartState": True,
            "KeepAliveTime": timedelta(seconds=10),
        }
    )
    events: list[tuple[datetime, bool, bool]] = []
    states: list[str] = []
    for _ in range(20):  # two results a page: a client that pages, as the standard has it
        page = await client.search.GetEventSearchResults(
            {
                "SearchToken": token,
                "MinResults": 1,
                "MaxResults": 2,
                "WaitTime": timedelta(seconds=1),
            }
        )
        states.append(page.SearchState)
        for result in page.Result:
            assert (result.RecordingToken, result.TrackToken) == ("Recording_1", "VIDEO001")
            assert (result.Event.Topic._value_1, result.Event.Topic.Dialect) == (
                TOPIC,
                CONCRETE_SET,
            )
            message = result.Event.Message._value_1
            assert message.UtcTime == result.Time
            (item,) = message.Data.SimpleItem
            assert item.Name == "IsDataPresent" and item.Value in ("true", "false")
            events.append((result.Time, item.Value == "true", result.StartStateEvent))
        if page.SearchState == "Completed":
            break
    assert states[-1] == "Completed" and set(states[:-1]) == {"Searching"} and len(states) > 1
    assert events == expected
    # The cut's edges: data stops when the power goes, comes back with it.
    edges = [(t, present) for t, present, _ in events]
    cut = edges.index((at(g0), False))
    assert edges[cut + 1] == (at(g1), True)
    assert events[0][1:] == (True, True)  # the start state: recording before the cut
    await client.search.EndSearch({"SearchToken": token})
    assert token not in cam.searches
    assert conforms(client.wire) == ["FindEvents"] + ["GetEventSearchResults"] * len(states) + [
        "EndSearch"
    ]


async def test_find_events_backwards_gives_the_same_edges_latest_first(
    fleet: SimFleet, client_for: Any
) -> None:
    cam = fleet.cameras[0]
    assert cam.history is not None
    g0, g1 = next((a, b) for a, b, cause in cam.history.gaps if cause == "power")
    client = await client_for(cam)
    window = {"Scope": {}, "SearchFilter": topic_filter(), "IncludeStartState": True}
    window["KeepAliveTime"] = timedelta(seconds=10)
    tokens = [
        await client.search.FindEvents({"StartPoint": at(a), "EndPoint": at(b), **window})
        for a, b in ((g0 - 600, g1 + 600), (g1 + 600, g0 - 600))  # EndPoint first: backwards
    ]
    seen = []
    for token in tokens:
        events: list[tuple[datetime, str, bool]] = []
        for _ in range(20):
            page = await client.search.GetEventSearchResults(
                {"SearchToken": token, "MaxResults": 8, "WaitTime": timedelta(seconds=1)}
            )
            events += [
                (r.Time, r.Event.Message._value_1.Data.SimpleItem[0].Value, r.StartStateEvent)
                for r in page.Result
            ]
            if page.SearchState == "Completed":
                break
        await client.search.EndSearch({"SearchToken": token})
        seen.append(events)
    forward, backward = seen
    edges = [(t, value) for t, value, _ in forward[1:]]
    cut = edges.index((at(g0), "false"))
    assert edges[cut + 1] == (at(g1), "true")
    spans = cam.history.intervals(cam.now())
    later = "true" if any(a <= g1 + 600 < b for a, b in spans) else "false"
    # The start state is at the StartPoint (the later instant), then the same edges, latest first.
    assert backward == [(at(g1 + 600), later, True)] + [(t, v, False) for t, v in edges[::-1]]
    conforms(client.wire)


async def test_a_camera_without_find_events_faults_as_zeep_expects(
    fleet: SimFleet, client_for: Any
) -> None:
    cam = fleet.cameras[NO_EVENT_SEARCH]
    assert cam.vendor is Vendor.DAHUA and "no_event_search" in cam.onvif_quirks
    client = await client_for(cam)
    with pytest.raises(zeep.exceptions.Fault) as refused:
        await client.search.FindEvents(
            {
                "StartPoint": datetime.now(UTC) - timedelta(days=1),
                "Scope": {},
                "SearchFilter": topic_filter(),
                "IncludeStartState": True,
                "KeepAliveTime": timedelta(seconds=10),
            }
        )
    fault = refused.value
    # An optional action the device does not implement: env:Receiver, ter:ActionNotSupported.
    assert fault.code.rpartition(":")[2] == "Receiver"  # the text of env:Code/env:Value
    assert subcodes(fault) == ["ActionNotSupported"]
    # The summary still answers on such firmware: what `fleetctl footage` falls back to.
    summary = await client.search.GetRecordingSummary()
    assert summary.NumberRecordings == 1
    assert conforms(client.wire) == ["FindEvents", "GetRecordingSummary"]
