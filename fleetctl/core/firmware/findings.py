"""A camera's firmware findings for `check`: advisories (security) and policy (config). Pure.

Security findings are warn, as every security finding of the default policy: the camera still
works; what it runs is exploitable. The message names the advisory and its CVEs, so an operator
can look it up, and what fixes it.
"""

from __future__ import annotations

from collections.abc import Iterable

from fleetctl.base.i18n import M_
from fleetctl.core.firmware.advisories import Rule, matches
from fleetctl.core.firmware.compliance import below_minimum
from fleetctl.core.models import DeviceInfo, FirmwarePolicy, Problem, ProblemKind, Status


def firmware_problems(
    device: DeviceInfo | None, rules: Iterable[Rule], policy: FirmwarePolicy | None
) -> list[Problem]:
    if device is None or not device.firmware:
        return []
    found = [
        Problem.of(
            ProblemKind.SECURITY,
            Status.WARN,
            M_(
                "firmware %(firmware)s has a published %(severity)s vulnerability: %(advisory)s, "
                "%(title)s (fixed in %(fixed)s)",
                firmware=device.firmware,
                severity=rule.severity,
                advisory=rule.label,
                title=rule.title,
                fixed=rule.fixed_in or "a newer firmware",
            ),
        )
        for rule in matches(rules, device.manufacturer, device.model, device.firmware)
    ]
    minimum = below_minimum(policy, device.model, device.firmware)
    if minimum is not None:
        found.append(
            Problem.of(
                ProblemKind.CONFIG,
                Status.WARN,
                M_(
                    "firmware %(firmware)s is below the approved firmware %(minimum)s for %(model)s",
                    firmware=device.firmware,
                    minimum=minimum,
                    model=device.model or "",
                ),
            )
        )
    return found
