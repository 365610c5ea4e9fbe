"""A factory-fresh Axis: no account at all until the first administrator is made.

As Axis documents it: ``POST /axis-cgi/systemready.cgi`` with
``{"apiVersion":"1.0","method":"systemready"}`` (no auth) answers ``data.needsetup`` "yes" while
the device has no administrator; meanwhile ``/axis-cgi/pwdgrp.cgi?action=add&user=root&pwd=...
&grp=root&sgrp=admin:operator:viewer:ptz`` creates it WITHOUT auth (afterwards it needs the
administrator's Digest). Passwords: 1-64 printable ASCII characters. ONVIF accounts are a
separate list (``SimCamera.users``, empty out of the box); the administrator (``root``) may use
ONVIF to create them (sim/onvif/auth.py: ``password_of``).

Every Axis (fresh or not, before and after setup) also answers the Basic Device Information API
without auth: ``POST /axis-cgi/basicdeviceinfo.cgi`` with
``{"apiVersion":"1.0","method":"getAllUnrestrictedProperties"}`` gives ``data.propertyList``
(``ProdNbr``, ``ProdFullName``, ``SerialNumber``, ``Version``, ``Brand``, ...).
"""

from __future__ import annotations

import json
import time

from fleetctl.sim.camera.model import SimCamera, Vendor
from fleetctl.sim.http import Request, Response
from fleetctl.sim.onvif.auth import check_digest, digest_challenge

ADMIN = "root"
PATHS = frozenset({"/axis-cgi/systemready.cgi", "/axis-cgi/pwdgrp.cgi"})


def handles(cam: SimCamera, path: str) -> bool:
    return cam.factory is not None and cam.factory.kind == "axis" and path in PATHS


INFO_PATH = "/axis-cgi/basicdeviceinfo.cgi"


def answers_info(cam: SimCamera, path: str) -> bool:
    """The Basic Device Information API: every Axis, in every state, without auth."""
    return cam.vendor is Vendor.AXIS and path == INFO_PATH


def device_info(cam: SimCamera, req: Request) -> Response:
    cam.counters.requests[req.path] += 1
    if req.method != "POST":
        return Response(405, b"", content_type="text/plain")
    try:
        method = json.loads(req.body or b"{}").get("method")
    except (ValueError, AttributeError):
        method = None
    if method != "getAllUnrestrictedProperties":
        error = {"code": 2002, "message": "Method not supported."}
        return _json({"apiVersion": "1.3", "method": str(method), "error": error})
    series = cam.model.split("-", 1)[0]
    props = {
        "Architecture": "armv7hf",
        "Brand": "AXIS",
        "BuildDate": "Jun 02 2023 10:12",
        "HardwareID": cam.hardware_id,
        "ProdFullName": f"AXIS {cam.model} Network Camera",
        "ProdNbr": cam.model,
        "ProdShortName": f"AXIS {series}",
        "ProdType": "Network Camera",
        "ProdVariant": "",
        "SerialNumber": cam.serial,
        "Soc": "Axis Artpec-7",
        "SocSerialNumber": f"00000000-00000000-{cam.serial[-8:]}-00000000",
        "Version": cam.firmware,
        "WebURL": "http://www.axis.com",
    }
    return _json(
        {"apiVersion": "1.3", "method": method, "data": {"propertyList": props}},
    )


def _json(data: dict[str, object], status: int = 200) -> Response:
    return Response(status, json.dumps(data).encode(), content_type="application/json")


def route(cam: SimCamera, req: Request) -> Response:
    state = cam.factory
    assert state is not None
    cam.counters.requests[req.path] += 1
    needsetup = state.admin_password is None
    if req.path == "/axis-cgi/systemready.cgi":
        if req.method != "POST":
            return Response(405, b"", content_type="text/plain")
        return _json(
            {
                "apiVersion": "1.0",
                "method": "systemready",
                "data": {
                    "systemready": "yes",
                    "needsetup": "yes" if needsetup else "no",
                    "uptime": str(int(time.time() - cam.boot_time)),
                },
            }
        )
    if not needsetup:  # pwdgrp.cgi needs the administrator once there is one
        header = req.headers.get("authorization", "")
        ok = (
            header
            and check_digest(
                cam,
                header,
                req.method,
                req.target,
                lambda u: state.admin_password if u == ADMIN else None,
            ).ok
        )
        if not ok:
            return Response(
                401,
                b"",
                content_type="text/html",
                headers=(("WWW-Authenticate", digest_challenge(cam)),),
            )
    q = req.query
    if q.get("action") != "add" or not q.get("user"):
        return Response(400, b"Error: unsupported action\r\n", content_type="text/plain")
    pwd = q.get("pwd", "")
    if not 1 <= len(pwd) <= 64 or not pwd.isascii() or not pwd.isprintable():
        return Response(
            400, b"Error: password must be 1-64 printable ASCII characters\r\n", "text/plain"
        )
    if q["user"] != ADMIN or "admin" not in q.get("sgrp", ""):
        if needsetup:
            return Response(
                400, b"Error: the first account must be the administrator root\r\n", "text/plain"
            )
        return Response(400, b"Error: not supported\r\n", content_type="text/plain")
    if not needsetup:
        return Response(400, b"Error: account root already exists\r\n", "text/plain")
    state.admin_password = pwd
    state.activations += 1
    return Response(200, b"Created account root.\r\n", content_type="text/plain")
