"""WS-Discovery message building and defensive ProbeMatches parsing: pure, table-driven."""

from __future__ import annotations

import pytest
from lxml import etree

from fleetctl.adapters.discovery.wsdiscovery import (
    MAX_REPLY_BYTES,
    PROBE_KINDS,
    build_probe,
    decode_scopes,
    parse_probe_matches,
    rewrite_xaddr,
)

MID = "urn:uuid:11111111-2222-3333-4444-555555555555"

# Shaped like a Hikvision DS-2CD2143G2-I answer (pretty-printed, SOAP-ENV prefixes, two
# location scopes, upper-case MAC key), with the RelatesTo and XAddr host as parameters.
HIK_REPLY = """<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"
  xmlns:wsadis="http://schemas.xmlsoap.org/ws/2004/08/addressing"
  xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"
  xmlns:dn="http://www.onvif.org/ver10/network/wsdl"
  xmlns:tds="http://www.onvif.org/ver10/device/wsdl">
<env:Header>
<wsadis:MessageID>urn:uuid:aaaaaaaa-0000-0000-0000-000000000001</wsadis:MessageID>
<wsadis:RelatesTo>{relates}</wsadis:RelatesTo>
<wsadis:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsadis:To>
<wsadis:Action>{action}</wsadis:Action>
</env:Header>
<env:Body><d:ProbeMatches><d:ProbeMatch>
<wsadis:EndpointReference><wsadis:Address>urn:uuid:54455fe8-3e4b-11b5-83a2-4419b6a1c2d3</wsadis:Address></wsadis:EndpointReference>
<d:Types>{types}</d:Types>
<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/Profile/Streaming onvif://www.onvif.org/MAC/44:19:b6:a1:c2:d3 onvif://www.onvif.org/hardware/DS-2CD2143G2-I onvif://www.onvif.org/name/HIKVISION%20DS-2CD2143G2-I onvif://www.onvif.org/location/city/hangzhou onvif://www.onvif.org/location/country/china</d:Scopes>
<d:XAddrs>http://{host}/onvif/device_service http://[fe80::4619:b6ff:fea1:c2d3]/onvif/device_service</d:XAddrs>
<d:MetadataVersion>10</d:MetadataVersion>
</d:ProbeMatch></d:ProbeMatches></env:Body></env:Envelope>"""

ACTION = "http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches"


def reply(
    relates: str = MID,
    host: str = "192.0.2.64",
    action: str = ACTION,
    types: str = "dn:NetworkVideoTransmitter tds:Device",
) -> bytes:
    return HIK_REPLY.format(relates=relates, host=host, action=action, types=types).encode()


def test_probe_is_minified_one_line_soap12_with_the_requested_type() -> None:
    for kind in PROBE_KINDS:
        probe = build_probe(MID, kind)
        assert b"\n" not in probe and b"> <" not in probe and not probe.startswith(b"<?xml")
        root = etree.fromstring(probe)
        assert root.tag == "{http://www.w3.org/2003/05/soap-envelope}Envelope"
        types = root.find(".//{http://schemas.xmlsoap.org/ws/2005/04/discovery}Types")
        assert types is not None and types.text == kind
        prefix = kind.partition(":")[0]
        assert types.nsmap[prefix] in (
            "http://www.onvif.org/ver10/network/wsdl",
            "http://www.onvif.org/ver10/device/wsdl",
        )
        assert (
            root.findtext(".//{http://schemas.xmlsoap.org/ws/2004/08/addressing}MessageID") == MID
        )
    assert {k.partition(":")[2] for k in PROBE_KINDS} == {"NetworkVideoTransmitter", "Device"}


def test_real_shaped_reply_is_parsed_and_scopes_decoded() -> None:
    [m] = parse_probe_matches(reply(host="10.20.1.57"), "10.20.1.57", {MID})
    assert m.endpoint == "urn:uuid:54455fe8-3e4b-11b5-83a2-4419b6a1c2d3"
    assert m.xaddrs[0] == "http://10.20.1.57/onvif/device_service"
    assert m.metadata_version == 10
    s = m.decoded_scopes
    assert s.name == "HIKVISION DS-2CD2143G2-I"
    assert s.hardware == "DS-2CD2143G2-I"
    assert s.mac == "44:19:b6:a1:c2:d3"
    assert s.location == "city/hangzhou, country/china"


@pytest.mark.parametrize(
    ("xaddr_host", "source", "expected"),
    [
        ("0.0.0.0", "127.16.27.9", "http://127.16.27.9/onvif/device_service"),
        ("0.0.0.0:8080", "127.16.27.9", "http://127.16.27.9:8080/onvif/device_service"),
        ("192.168.1.64:8899", "127.16.27.9", "http://127.16.27.9:8899/onvif/device_service"),
        ("127.16.27.9:80", "127.16.27.9", "http://127.16.27.9:80/onvif/device_service"),
    ],
)
def test_zero_or_foreign_xaddr_host_is_replaced_by_the_responder(
    xaddr_host: str, source: str, expected: str
) -> None:
    [m] = parse_probe_matches(reply(host=xaddr_host), source, {MID})
    assert m.xaddrs[0] == expected
    assert rewrite_xaddr(f"http://{xaddr_host}/onvif/device_service", source) == expected


@pytest.mark.parametrize(
    "data",
    [
        reply(relates="urn:uuid:not-ours"),  # another prober's answer
        reply(relates=""),
        reply(action="http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello"),
        reply(types="wsdp:Device pub:Computer"),  # a Windows PC answering
        b"",
        b"\x00\xff garbage \x01",
        b"<not-closed>",
        b"<a>" + b"x" * (MAX_REPLY_BYTES + 1) + b"</a>",
        reply()[:-40],  # truncated datagram
        # billion laughs and XXE: refused before lxml sees them
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        + reply().split(b"?>", 1)[1].replace(b"urn:uuid:54455fe8", b"&b;"),
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    ],
    ids=[
        "wrong-relatesto",
        "no-relatesto",
        "hello",
        "not-onvif",
        "empty",
        "binary",
        "unclosed",
        "huge",
        "truncated",
        "entity-bomb",
        "xxe",
    ],
)
def test_hostile_or_foreign_replies_are_ignored(data: bytes) -> None:
    assert parse_probe_matches(data, "127.16.27.9", {MID}) == []


def test_huge_scopes_within_a_datagram_are_ignored() -> None:
    bloated = reply().replace(b"<d:Scopes>", b"<d:Scopes>" + b"onvif://x/" * 4000)
    assert len(bloated) > MAX_REPLY_BYTES
    assert parse_probe_matches(bloated, "127.16.27.9", {MID}) == []


def test_scope_decoding_ignores_foreign_and_malformed_scopes() -> None:
    s = decode_scopes(
        [
            "http://www.onvif.org/name/not-onvif-scheme",
            "onvif://example.com/name/foreign-authority",
            "onvif://www.onvif.org/name/",
            "onvif://www.onvif.org/Name/Ng%C3%B5%20Quy%E1%BB%81n",
            "onvif://www.onvif.org/mac/0011AABBCCDD",
        ]
    )
    assert s.name == "Ngõ Quyền"
    assert s.mac == "0011AABBCCDD"
    assert s.hardware is None and s.location is None


def test_cheap_message_ids_are_unique_uuids_and_the_template_matches_build_probe() -> None:
    import itertools
    import uuid

    from fleetctl.adapters.discovery.wsdiscovery import message_ids, probe_template

    ids = list(itertools.islice(message_ids(), 5000))
    assert len(set(ids)) == 5000
    assert all(uuid.UUID(i.removeprefix("urn:uuid:")) for i in ids[:10])
    assert set(ids).isdisjoint(itertools.islice(message_ids(), 5000))  # a new random base
    head, tail = probe_template("tds:Device")
    assert head + ids[0].encode() + tail == build_probe(ids[0], "tds:Device")
