"""One device's progress through onboarding, and the helpers every step shares (recording an
action, stopping at a step, storing a secret before it is sent, one login attempt). Split from ``steps`` so the
vendor set-up step (``activate``) uses them without an import cycle."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from fleetctl.adapters.onvif.client import try_login
from fleetctl.adapters.secrets import SecretStore, set_credential
from fleetctl.base.i18n import M_, Msg
from fleetctl.core.errors import SecretsError
from fleetctl.core.models import Camera, Credential
from fleetctl.core.push.plan import DeviceSettings
from fleetctl.core.secret import Secret
from fleetctl.engine.discover import DiscoveredDevice
from fleetctl.engine.onboard.model import OnboardOptions, Step, device_id

log = logging.getLogger("fleetctl.engine.onboard.steps")  # one logger name for every step


def said(text: str) -> Msg:
    """Words from a device, a library or a file: the same in every language."""
    return Msg("%(text)s", (("text", text),))


def joined(parts: list[Msg], sep: str) -> Msg:
    """Several messages as one (each translated on its own), ``sep`` between them."""
    out = parts[0]
    for part in parts[1:]:
        out = out.plus(said(sep)).plus(part)
    return out


def _did(d: Device, action: Msg) -> None:
    """Record a step's action for the report (and the -v log); never a secret. A message, not
    words: the report is English in JSON and the user's language in the table."""
    d.actions.append(action)
    log.info("onboard %s: %s", d.dev.address, action.en())


class StepFailed(Exception):
    """Internal: stops one device at ``step``; becomes a DeviceOutcome, never escapes."""

    def __init__(self, step: Step, reason: Msg) -> None:
        super().__init__(reason.en())
        self.step, self.reason = step, reason


@dataclass
class Device:
    """One device's progress through the steps (mutable while its coroutine runs)."""

    dev: DiscoveredDevice
    camera: Camera  # named once the name is assigned
    login: Credential | None = None  # what opened it
    factory: Credential | None = None  # set when the factory login opened it (not retired)
    settings: DeviceSettings | None = None
    name: str | None = None
    n: int = 0
    fleet: Credential | None = None
    actions: list[Msg] = field(default_factory=list)
    step: Step = Step.LOGIN  # the step under way
    provisioned: bool = False  # the vendor set-up step (engine/onboard/activate.py) ran
    activations: int = 0  # activation requests sent to it this run (at most one)


def _fleet_credential(d: Device, store: SecretStore, options: OnboardOptions) -> Credential | None:
    """The credential the device gets (or has, on a rerun); None: to be generated."""
    if options.unique_passwords:
        return store.credentials.get(f"onboard-{device_id(d.dev)}")
    return store.get(options.credentials) if options.credentials else None


async def _store(path: str, name: str, username: str, password: str, step: Step) -> Credential:
    try:
        await asyncio.to_thread(set_credential, path, name, username, password)
    except (OSError, SecretsError) as err:  # a full disk or a broken file: stop here
        raise StepFailed(
            step,
            M_(
                "could not store `%(name)s` in %(file)s: %(error)s",
                name=name,
                file=path,
                error=type(err).__name__,
            ),
        ) from None
    return Credential(name, username, Secret(password))


async def _attempt(d: Device, cred: Credential, options: OnboardOptions) -> bool | None:
    password = cred.password.reveal() if cred.password is not None else ""
    return await try_login(d.camera, cred.username, password, timeout_s=options.timeout_s)
