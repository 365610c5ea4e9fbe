"""SOAP 1.2 plumbing for the simulated ONVIF services: safe parsing, envelopes, faults, registry.

Operations live in ``onvif_device``, ``onvif_network``, ``onvif_media`` and ``onvif_recording``;
each registers with ``@op(NAMESPACE, "Name")`` and returns the XML of its response element,
written with canonical prefixes (``tds:``, ``tt:``, ...). ``envelope()`` rewrites element prefixes into the vendor's own
(Axis writes ``onvif:`` for the schema namespace, cheap generic firmware ``ns2:``): a client that
matches prefixes instead of namespaces breaks here as it would in the field.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

from fleetctl.sim.camera.model import SimCamera
from fleetctl.sim.vendors.flavours import Flavour

NS = {
    "env": "http://www.w3.org/2003/05/soap-envelope",
    "tt": "http://www.onvif.org/ver10/schema",
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "tr2": "http://www.onvif.org/ver20/media/wsdl",
    "trc": "http://www.onvif.org/ver10/recording/wsdl",
    "tse": "http://www.onvif.org/ver10/search/wsdl",
    "trp": "http://www.onvif.org/ver10/replay/wsdl",
    "tev": "http://www.onvif.org/ver10/events/wsdl",
    "ter": "http://www.onvif.org/ver10/error",
    "wsnt": "http://docs.oasis-open.org/wsn/b-2",
    "tns1": "http://www.onvif.org/ver10/topics",
}
DEVICE, MEDIA, MEDIA2 = NS["tds"], NS["trt"], NS["tr2"]
RECORDING, SEARCH, EVENTS, REPLAY = NS["trc"], NS["tse"], NS["tev"], NS["trp"]
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"

# Requests are small and come from strangers: no DTDs, no entities, no network, no huge nodes.
_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


class SoapFault(Exception):
    """Raised by an operation; becomes a SOAP 1.2 Fault. ``subcode`` uses the ``ter:`` prefix;
    ``inner``, when given, is the Subcode inside it, as ONVIF nests its specific faults
    (ter:InvalidArgVal, then ter:NoRecording)."""

    def __init__(
        self, subcode: str, reason: str, *, sender: bool = True, status: int = 0, inner: str = ""
    ) -> None:
        super().__init__(reason)
        self.subcode = subcode
        self.inner = inner
        self.reason = reason
        self.sender = sender
        self.status = status or (400 if sender else 500)


@dataclass
class Ctx:
    """What an operation sees: the device, its flavour, and hooks into the fleet."""

    cam: SimCamera
    flavour: Flavour
    username: str
    reboot: Callable[[], None]

    @property
    def base(self) -> str:
        """Service URL root as the camera reports it (the NAT quirk shows here)."""
        return f"http://{self.cam.reported_host}:{self.cam.onvif_port}"


Op = Callable[[Ctx, Any], str]


@dataclass(frozen=True)
class Operation:
    fn: Op
    write: bool  # counted in cam.counters.writes when it succeeds
    auth: bool


OPS: dict[tuple[str, str], Operation] = {}


def op(namespace: str, name: str, *, write: bool = False, auth: bool = True) -> Callable[[Op], Op]:
    def deco(fn: Op) -> Op:
        OPS[(namespace, name)] = Operation(fn, write, auth)
        return fn

    return deco


def parse(body: bytes) -> Any:
    """The Envelope element. Raises SoapFault for anything that is not a plain SOAP 1.2 message."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as err:
        raise SoapFault("ter:WellFormed", f"not well-formed XML: {err}") from None
    # Any DOCTYPE has "<!" in the bytes of an ASCII-compatible body: skip the docinfo look then.
    if (body[:1] != b"<" or b"<!" in body) and root.getroottree().docinfo.doctype:
        raise SoapFault("ter:WellFormed", "DTDs are not allowed in SOAP messages")
    if root.tag != f"{{{NS['env']}}}Envelope":
        raise SoapFault("ter:WellFormed", "not a SOAP 1.2 Envelope")
    return root


# -- helpers for operations: lxml lookups by namespace, never by prefix -------------------------


@functools.cache
def _steps(path: str) -> tuple[str, ...]:
    """ "tds:Name/tt:TZ" -> the Clark names of each step."""
    return tuple(f"{{{NS[p]}}}{n}" for p, _, n in (step.partition(":") for step in path.split("/")))


def _walk(el: Any, steps: tuple[str, ...]) -> Any:
    for child in el.iterchildren(steps[0]):
        found = child if len(steps) == 1 else _walk(child, steps[1:])
        if found is not None:
            return found
    return None


def find(el: Any, path: str) -> Any:
    """``path`` like "tds:Name/tt:TZ" using the canonical prefixes: the first match in document
    order, as ``el.find(path, NS)``, without ElementPath's cost (it runs on every request)."""
    return _walk(el, _steps(path)) if el is not None else None


def text(el: Any, path: str, default: str = "") -> str:
    found = find(el, path)
    return (found.text or "").strip() if found is not None else default


def texts(el: Any, path: str) -> list[str]:
    return [(e.text or "").strip() for e in el.findall(path, NS)] if el is not None else []


def boolean(value: str) -> bool:
    return value.strip().lower() in ("true", "1")


def x(value: object) -> str:
    """Escape a value for element content."""
    if isinstance(value, bool):
        return "true" if value else "false"
    value = str(value)
    if "&" in value or "<" in value or ">" in value:
        return escape(value)
    return value


# -- envelopes --------------------------------------------------------------------------------


@functools.cache
def _prefixes(flavour: Flavour) -> dict[str, str]:
    return {p: flavour.prefixes.get(p, p) for p in NS}


@functools.cache
def _renames(flavour: Flavour) -> tuple[tuple[str, str], ...]:
    """(old, new) tag openings to rewrite; empty for a vendor using the canonical prefixes."""
    out: list[tuple[str, str]] = []
    for p, q in _prefixes(flavour).items():
        if p != q:
            out += [(f"<{p}:", f"<{q}:"), (f"</{p}:", f"</{q}:")]
    return tuple(out)


@functools.cache
def _frame(flavour: Flavour) -> tuple[bytes, bytes]:
    pre = _prefixes(flavour)
    decls = " ".join(f'xmlns:{pre[p]}="{uri}"' for p, uri in NS.items())
    env = pre["env"]
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{env}:Envelope {decls}><{env}:Header/>'
        f"<{env}:Body>"
    ).encode(), f"</{env}:Body></{env}:Envelope>".encode()


def envelope(flavour: Flavour, body_xml: str) -> bytes:
    # Plain str.replace, not a regex: this runs on every reply (hundreds per second). Values are
    # escaped, so "<tt:" can only be a tag; "<tt:" never matches inside "<tds:" (the colon).
    for old, new in _renames(flavour):
        body_xml = body_xml.replace(old, new)
    head, tail = _frame(flavour)
    return head + body_xml.encode() + tail


def fault(flavour: Flavour, fault: SoapFault) -> bytes:
    pre = _prefixes(flavour)
    env, ter = pre["env"], pre["ter"]
    code = "Sender" if fault.sender else "Receiver"
    sub = fault.subcode.split(":", 1)[-1]
    inner = fault.inner.split(":", 1)[-1]
    nested = (
        f"<{env}:Subcode><{env}:Value>{ter}:{inner}</{env}:Value></{env}:Subcode>" if inner else ""
    )
    body = (
        f"<{env}:Fault><{env}:Code><{env}:Value>{env}:{code}</{env}:Value>"
        f"<{env}:Subcode><{env}:Value>{ter}:{sub}</{env}:Value>{nested}</{env}:Subcode>"
        f"</{env}:Code>"
        f'<{env}:Reason><{env}:Text xml:lang="en">{x(fault.reason)}</{env}:Text></{env}:Reason>'
        f"</{env}:Fault>"
    )
    return envelope(flavour, body)
