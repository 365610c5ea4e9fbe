"""Factory (well-known default) credentials per vendor.

Used by the security probe in two ways: to flag a fleet credential that is itself a factory
default (no network needed), and, only when the user asks (``--check-default-passwords``), to
try the few factory logins of the camera's vendor and firmware generation
(``factory_logins_for``), within a budget below the lockout thresholds.
These passwords are public knowledge printed in every quick-start guide; they are still never
written to output: reports name the account, not the password.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class FactoryLogin:
    vendor: str
    username: str
    password: str

    def __repr__(self) -> str:  # keep even public defaults out of logs and reprs
        return f"FactoryLogin({self.vendor!r}, {self.username!r}, '********')"


# Most likely first: the single attempt a camera gets uses the first entry of its vendor.
# hikvision: firmware before 5.3 shipped admin/12345 (later ones force activation).
# dahua: admin/admin on older firmware; 888888 is the "local only" admin of DVRs.
# axis: root/pass before firmware 6 (later ones ask on first visit).
FACTORY_LOGINS: dict[str, tuple[FactoryLogin, ...]] = {
    "hikvision": (FactoryLogin("hikvision", "admin", "12345"),),
    "dahua": (FactoryLogin("dahua", "admin", "admin"), FactoryLogin("dahua", "888888", "888888")),
    "axis": (FactoryLogin("axis", "root", "pass"),),
    "generic": (
        FactoryLogin("generic", "admin", "admin"),
        FactoryLogin("generic", "admin", "12345"),
        FactoryLogin("generic", "admin", ""),
        FactoryLogin("generic", "admin", "123456"),
        FactoryLogin("generic", "root", "pass"),
    ),
}

# Firmware from which a vendor ships no factory password at all (the device must be activated,
# or asks for one on first visit): trying one there only spends a lockout attempt.
# hikvision: activation since 5.3; axis: a password asked on first visit since 6.
NO_FACTORY_FROM: dict[str, tuple[int, ...]] = {"hikvision": (5, 3), "axis": (6,)}


def _version(firmware: str | None) -> tuple[int, ...] | None:
    """The leading dotted numbers of a firmware string ("V5.7.3 build 220112" -> (5, 7, 3))."""
    match = re.match(r"\s*[vV]?(\d+(?:\.\d+)*)", firmware or "")
    return tuple(int(p) for p in match.group(1).split(".")[:3]) if match else None


def factory_logins_for(manufacturer: str | None, firmware: str | None) -> tuple[FactoryLogin, ...]:
    """The factory logins worth trying on this camera, most likely first: its vendor's, none
    where its firmware generation ships without one (unknown firmware: the vendor's list)."""
    vendor = vendor_of(manufacturer)
    cutoff = NO_FACTORY_FROM.get(vendor)
    version = _version(firmware)
    if cutoff is not None and version is not None and version >= cutoff:
        return ()
    return FACTORY_LOGINS[vendor]


# Manufacturer strings as cameras report them in GetDeviceInformation (OEM rebrands included).
_VENDOR_HINTS: tuple[tuple[str, str], ...] = (
    ("hikvision", "hikvision"),
    ("hik", "hikvision"),
    ("ezviz", "hikvision"),
    ("dahua", "dahua"),
    ("amcrest", "dahua"),
    ("lorex", "dahua"),
    ("axis", "axis"),
)


def vendor_of(manufacturer: str | None) -> str:
    """``hikvision`` | ``dahua`` | ``axis`` | ``generic`` from a reported manufacturer."""
    text = (manufacturer or "").strip().lower()
    for hint, vendor in _VENDOR_HINTS:
        if hint in text:
            return vendor
    return "generic"


def factory_logins(manufacturer: str | None) -> tuple[FactoryLogin, ...]:
    """Known factory logins for this manufacturer, most likely first."""
    return FACTORY_LOGINS[vendor_of(manufacturer)]


def first_factory_login(manufacturer: str | None) -> FactoryLogin:
    """The one login worth its single attempt on a camera of this manufacturer."""
    return factory_logins(manufacturer)[0]


def is_factory_credential(
    username: str, password: str | None, manufacturer: str | None = None
) -> bool:
    """True when (username, password) is a factory default: for the vendor if given, else any."""
    if manufacturer:
        pool = factory_logins(manufacturer)
    else:
        pool = tuple(login for logins in FACTORY_LOGINS.values() for login in logins)
    return any(f.username == username and f.password == (password or "") for f in pool)
