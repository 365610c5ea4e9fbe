"""One exception tree for fleetctl.

    FleetctlError                 base: every error fleetctl raises on purpose
    ├── UsageError                bad command line (exit 64)
    ├── InventoryError            a broken inventory: carries every InventoryIssue (exit 65)
    ├── SecretsError              missing or unsafe secrets file, unknown credential name (exit 78)
    └── HistoryError              the history store cannot be opened or written (exit 74)

Per-camera failures are *not* exceptions: they are problems in a CameraReport (core.models).
An exception escaping the engine for one camera is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass


class FleetctlError(Exception):
    """Base of every error fleetctl raises on purpose."""


class UsageError(FleetctlError):
    """The command line asks for something impossible."""


@dataclass(frozen=True)
class InventoryIssue:
    """One problem in an inventory file, located precisely enough to fix it."""

    file: str
    line: int | None  # 1-based; None when the problem has no single line (e.g. a missing file)
    key: str  # dotted path, e.g. "sites.dong-tien.cameras[2].host"
    message: str
    severity: str = "error"  # "error" stops every command; "warning" is only shown by lint

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.key or '(file)'}: {self.message}"


class InventoryError(FleetctlError):
    """The inventory cannot be used; ``issues`` lists every problem found, not just the first."""

    WHAT = "inventory"  # what the problems are in, as the message says it

    def __init__(self, issues: list[InventoryIssue]) -> None:
        self.issues = issues
        n = len(issues)
        super().__init__(
            f"{n} problem{'s' if n != 1 else ''} in the {self.WHAT}:\n"
            + "\n".join(map(str, issues))
        )


class ProfileError(InventoryError):
    """A push profile that cannot be used: an InventoryError (same exit code, same issues) that
    says "in the profile"."""

    WHAT = "profile"


class SecretsError(FleetctlError):
    """The secrets file is missing, unreadable, unsafe, or lacks a named credential."""


class HistoryError(FleetctlError):
    """The history store cannot be opened or written."""
