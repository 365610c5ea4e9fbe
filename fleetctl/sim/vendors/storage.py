"""Vendor storage APIs: where disk health really lives (ONVIF has no SD/HDD health call).

- Hikvision ``GET /ISAPI/ContentMgmt/Storage``: XML ``storage/hddList/hdd`` with ``status``
  (ok | unformatted | error), ``capacity`` and ``freeSpace`` in MiB. Namespace
  ``http://www.hikvision.com/ver20/XMLSchema``; V5.5 and older firmware writes the older
  ``http://www.std-cgi.com/ver20/XMLSchema``. ``extension/overwrite`` carries the overwrite flag
  (the real one sits under /ISAPI/ContentMgmt/record; one place keeps the simulator small).
- Dahua ``GET /cgi-bin/storageDevice.cgi?action=getDeviceAllInfo``: ``key=value`` lines,
  ``list.info[0].State`` (Success | Error | NotFormatted), ``...Detail[0].TotalBytes``/``UsedBytes``.
Both sit behind HTTP Digest on real devices, and here (the caller authenticates).
"""

from __future__ import annotations

from fleetctl.sim.camera.model import SimCamera, Storage
from fleetctl.sim.http import Request, Response

ISAPI_PATH = "/ISAPI/ContentMgmt/Storage"
DAHUA_PATH = "/cgi-bin/storageDevice.cgi"
MIB = 1024 * 1024

_HIK_STATUS = {"ok": "ok", "full": "ok", "failed": "error", "unformatted": "unformatted"}
_DAHUA_STATE = {
    "ok": "Success",
    "full": "Success",
    "failed": "Error",
    "unformatted": "NotFormatted",
}


def _free_mb(s: Storage) -> int:
    if s.state in ("failed", "unformatted"):
        return 0
    return 0 if s.state == "full" else max(s.total_mb - s.used_mb, 0)


def _hik_ns(cam: SimCamera) -> str:
    if cam.firmware.startswith(("V5.5", "V5.4", "V5.3")):
        return "http://www.std-cgi.com/ver20/XMLSchema"
    return "http://www.hikvision.com/ver20/XMLSchema"


def isapi_storage(cam: SimCamera) -> Response:
    hdds = "".join(
        f'<hdd version="2.0"><id>{i + 1}</id><hddName>{s.name}</hddName><hddPath></hddPath>'
        f"<hddType>SD</hddType><status>{_HIK_STATUS[s.state]}</status><property>RW</property>"
        f"<capacity>{s.total_mb}</capacity>"
        f"<freeSpace>{_free_mb(s)}</freeSpace>"
        f"<formatType>{'' if s.state == 'unformatted' else 'EXT4'}</formatType>"
        f"<extension><overwrite>{'true' if s.overwrite else 'false'}</overwrite></extension></hdd>"
        for i, s in enumerate(cam.storage)
    )
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<storage version="2.0" xmlns="{_hik_ns(cam)}">'
        f'<hddList size="{len(cam.storage)}">{hdds}</hddList><nasList size="0"></nasList>'
        "<workMode>group</workMode></storage>"
    )
    return Response(200, body.encode(), content_type="application/xml; charset=UTF-8")


def dahua_storage(cam: SimCamera, req: Request) -> Response:
    if req.query.get("action") != "getDeviceAllInfo":
        return Response(400, b"Error\r\nBad Request!\r\n", content_type="text/plain")
    lines = []
    for i, s in enumerate(cam.storage):
        pre = f"list.info[{i}]"
        used = 0 if s.state in ("failed", "unformatted") else s.total_mb - _free_mb(s)
        lines += [
            f"{pre}.Detail[0].IsError={'true' if s.state == 'failed' else 'false'}",
            f"{pre}.Detail[0].Path=/dev/mmc{i}",
            f"{pre}.Detail[0].TotalBytes={s.total_mb * MIB}.000000",
            f"{pre}.Detail[0].Type=Read Write",
            f"{pre}.Detail[0].UsedBytes={used * MIB}.000000",
            f"{pre}.Name=/dev/mmc{i}",
            f"{pre}.State={_DAHUA_STATE[s.state]}",
        ]
    body = "".join(line + "\r\n" for line in lines)
    return Response(200, body.encode(), content_type="text/plain;charset=utf-8")


def route(cam: SimCamera, api: str, req: Request) -> Response | None:
    """The storage API answer for ``req`` if this flavour has one at that path, else None."""
    if api == "isapi" and req.path == ISAPI_PATH:
        return isapi_storage(cam)
    if api == "dahua" and req.path == DAHUA_PATH:
        return dahua_storage(cam, req)
    return None
