"""The zeep side of a Conversation: onvif-zeep-async's WSDLs and client, for the wide calls.

Configuration reads and writes (push, onboarding) and user management go through zeep: their
schemas are wide and they are few per camera. The WSDL documents are parsed once per process
and shared by every camera (``load_documents``); a proxy builds an operation on first use.
Imported only when such a call is made: a health check never pays for zeep.
"""

from __future__ import annotations

import asyncio
from typing import Any

import zeep.exceptions
from onvif.client import _WSDL_PATH, ZeepAsyncClient, _cached_document
from onvif.definition import SERVICES
from zeep.proxy import AsyncOperationProxy, AsyncServiceProxy
from zeep.settings import Settings
from zeep.wsse.username import UsernameToken as ZeepUsernameToken

from fleetctl.adapters.onvif.soap import SoapFault, UsernameToken

WSDL_DIR = _WSDL_PATH  # the ONVIF 2.4.2 WSDLs bundled with onvif-zeep-async: local files only

# ``strict`` on the client only switches off lxml's recover mode for replies (schema leniency
# comes from the shared documents' own settings, which stay lenient: cameras add and reorder
# elements). No huge_tree, no DTD, no entities, no remote imports: defence in depth behind the
# transport's own strict check.
ZEEP_SETTINGS = Settings(
    strict=True, xml_huge_tree=False, forbid_dtd=True, forbid_entities=True, forbid_external=True
)

_documents: dict[str, Any] = {}
_doc_locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}


async def load_documents(names: tuple[str, ...]) -> None:
    """Parse the WSDLs once per process (~1 s for four) before any camera's deadline starts.

    onvif-zeep-async caches documents but has no lock: 500 cameras starting together would each
    parse the same WSDL in the thread pool. One lock per loop serialises the first parse.
    """
    missing = [n for n in names if n not in _documents]
    if not missing:
        return
    loop = asyncio.get_running_loop()
    lock = _doc_locks.setdefault(loop, asyncio.Lock())
    async with lock:
        for name in missing:
            if name not in _documents:
                _documents[name] = await _cached_document(f"{WSDL_DIR}/{SERVICES[name]['wsdl']}")


class OffsetUsernameToken(ZeepUsernameToken):  # type: ignore[misc]  # zeep is untyped
    """zeep's WS-UsernameToken (PasswordDigest), Created on the camera's clock.

    It follows the conversation's signer, so a re-measured offset reaches zeep's calls too.
    Created in Zulu form (``...Z``): some Hikvision firmware rejects ``+00:00``.
    """

    def __init__(self, signer: UsernameToken, password: str) -> None:
        super().__init__(signer.username, password, use_digest=True, zulu_timestamp=True)  # type: ignore[no-untyped-call]
        self.signer = signer

    def apply(self, envelope: Any, headers: Any) -> Any:
        self.created = self.signer.created_at()
        try:
            return super().apply(envelope, headers)  # type: ignore[no-untyped-call]
        finally:
            self.created = None

    def __repr__(self) -> str:
        return (
            f"OffsetUsernameToken({self.username!r}, '********', offset_s={self.signer.offset_s})"
        )


class _LazyServiceProxy(AsyncServiceProxy):  # type: ignore[misc]  # zeep is untyped
    """zeep's AsyncServiceProxy, building an operation's proxy on first use.

    zeep builds all of them up front: ~100 for devicemgmt, half a millisecond per camera and
    service, for the handful of operations a call needs.
    """

    def __init__(self, client: Any, binding: Any, **binding_options: Any) -> None:
        self._client = client
        self._binding_options = binding_options
        self._binding = binding
        self._operations: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        op = self._operations.get(key)
        if op is None:
            if key not in self._binding.all():
                raise AttributeError(f"Service has no operation {key!r}")
            op = self._operations[key] = AsyncOperationProxy(self, key)  # type: ignore[no-untyped-call]
        return op


def service_proxy(service: str, address: str, transport: Any, wsse: Any | None) -> Any:
    """A proxy for ``service`` at ``address`` (documents must be loaded)."""
    client = ZeepAsyncClient(
        wsdl=_documents[service], wsse=wsse, transport=transport, settings=ZEEP_SETTINGS
    )
    binding = client.wsdl.bindings[
        "{%s}%s" % (SERVICES[service]["ns"], SERVICES[service]["binding"])
    ]
    return _LazyServiceProxy(client, binding, address=address)


async def send(proxy: Any, op: str, params: dict[str, Any]) -> Any:
    """Call ``op`` through zeep; its errors as ours (SoapFault, ValueError for a reply zeep
    could not map onto the schema: the camera's doing, not ours)."""
    try:
        return await getattr(proxy, op)(**params)
    except zeep.exceptions.Fault as fault:
        subcodes = tuple(
            getattr(c, "localname", None) or str(c).rsplit("}", 1)[-1].rsplit(":", 1)[-1]
            for c in (fault.subcodes or [])
        )
        raise SoapFault(str(fault.message or "").strip(), subcodes) from fault
    except zeep.exceptions.Error as err:
        raise ValueError(str(err) or type(err).__name__) from err
