"""argparse's own words ("usage:", "options:", its error messages) in the chosen language.

argparse looks its words up through the module-level ``_``/``ngettext`` it imported from
``gettext`` (the process-wide "messages" domain, chosen by the environment, not by ``--lang``).
``install()`` points those two names at ``fleetctl.base.i18n``; the msgids below (argparse's
own, Python 3.11+) are listed here so that extraction puts them in fleetctl's catalogue.
Standard library only: ``fleetctl --help`` imports this.
"""

from __future__ import annotations

import argparse

from fleetctl.base import i18n
from fleetctl.base.i18n import N_

WORDS = (
    N_("usage: "),
    N_("options"),
    N_("positional arguments"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("unrecognized arguments: %s"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("can't open '%(filename)s': %(error)s"),
)


def install() -> None:
    """Make argparse speak through fleetctl's catalogue (idempotent)."""
    argparse._ = i18n._  # type: ignore[attr-defined]
    argparse.ngettext = i18n.ngettext  # type: ignore[attr-defined]
