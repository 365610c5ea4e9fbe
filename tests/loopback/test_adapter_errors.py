"""The adapters' one error family: every failure is an AdapterError with a Failure, the camera's
address in its words, and the library error it translates as its cause."""

from __future__ import annotations

import pytest
from lxml import etree

from fleetctl.adapters import errors
from fleetctl.adapters.errors import (
    AdapterError,
    HttpError,
    OnvifCallError,
    RtspFailure,
    StorageApiError,
    WireError,
)
from fleetctl.adapters.http.client import Pool
from fleetctl.adapters.onvif.session import Conversation
from fleetctl.adapters.onvif.transport import check_xml
from fleetctl.adapters.rtsp.message import parse_message
from fleetctl.core.models import Camera
from fleetctl.core.probes import Failure


def _family() -> set[type[AdapterError]]:
    seen: set[type[AdapterError]] = set()
    todo = [AdapterError]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return seen


def test_the_tree_in_the_docstring_names_every_member() -> None:
    family = _family()
    assert {HttpError, WireError, OnvifCallError, RtspFailure, StorageApiError} <= family
    doc = errors.__doc__ or ""
    missing = [cls.__name__ for cls in family if cls.__name__ not in doc]
    assert not missing, f"drawn in adapters/errors.py's docstring: {missing}"


async def test_a_refused_request_names_the_address_and_keeps_the_os_error(
    unreachable_host: str,
) -> None:
    pool = Pool()
    try:
        with pytest.raises(AdapterError) as info:
            await pool.request(
                "GET", "http", unreachable_host, 9, "/", {}, max_bytes=1, read_timeout_s=2
            )
    finally:
        await pool.close()
    err = info.value
    assert isinstance(err, HttpError) and err.failure is Failure.REFUSED
    assert str(err) == f"{unreachable_host}:9: connection refused"
    assert err.reason == "connection refused"  # the words alone, for callers that add their own
    assert isinstance(err.__cause__, ConnectionRefusedError)


async def test_an_onvif_call_to_nowhere_chains_down_to_the_socket(unreachable_host: str) -> None:
    camera = Camera(name="c", host=unreachable_host, site="s", port=9)
    pool = Pool()
    conv = Conversation(camera, None, max_bytes=10_000, read_timeout_s=2, pool=pool)
    try:
        with pytest.raises(AdapterError) as info:
            await conv.measure_clock()
    finally:
        await pool.close()
    err = info.value
    assert isinstance(err, OnvifCallError) and err.failure is Failure.REFUSED
    assert f"{unreachable_host}:9" in str(err) and "GetSystemDateAndTime" in str(err)
    wire = err.__cause__
    assert isinstance(wire, WireError) and isinstance(wire.__cause__, HttpError)
    assert isinstance(wire.__cause__.__cause__, ConnectionRefusedError)


def test_an_unreadable_reply_keeps_the_parsers_words() -> None:
    with pytest.raises(AdapterError) as info:
        check_xml(b"<a><b></a>", "127.16.0.1:80")
    assert isinstance(info.value, WireError) and info.value.failure is Failure.MALFORMED
    assert str(info.value).startswith("127.16.0.1:80: reply is not well-formed XML")
    assert isinstance(info.value.__cause__, etree.XMLSyntaxError)


def test_a_broken_rtsp_header_keeps_the_value_error() -> None:
    reply = b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: many\r\n\r\n"
    with pytest.raises(AdapterError) as info:
        parse_message(reply, 0, len(reply), "127.16.0.1:554")
    assert isinstance(info.value, RtspFailure) and info.value.failure is Failure.MALFORMED
    assert str(info.value) == "127.16.0.1:554: unreadable Content-Length"
    assert isinstance(info.value.__cause__, ValueError)
