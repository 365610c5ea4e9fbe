"""`fleetctl` entry point: argparse with lazily imported commands.

`fleetctl --help` must start fast, so this module imports only the standard library. Each
command lives in ``fleetctl.cli.commands.<name>``: its ``register()`` adds a subparser (cheap),
and the parser's ``run`` default is a "module:function" string imported only when that command
runs. Heavy libraries (zeep, textual, asyncssh) are imported inside those functions.

The language (``--lang``, before or after the command, else the environment) is chosen before
the parser is built: help texts are translated as they are added.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import re
import sys
import warnings
from collections.abc import Callable, Sequence

from fleetctl import __version__
from fleetctl.base.i18n import LANGUAGES, _, set_language
from fleetctl.cli import argparse_words
from fleetctl.core.errors import FleetctlError, InventoryError, SecretsError, UsageError
from fleetctl.core.exitcodes import ExitCode

# Order is the order of `fleetctl --help`. Each name is a module of fleetctl.cli.commands: one
# that does not import is an error of the installation, raised, never a command left out.
COMMANDS = [
    "demo",
    "check",
    "tui",
    "discover",
    "onboard",
    "push",
    "audit",
    "history",
    "report",
    "firmware",
    "backup",
    "footage",
    "serve",
    "inventory",
    "sim",
]


def lang_from_argv(argv: Sequence[str]) -> str | None:
    """The value of ``--lang`` wherever it stands (before ``--``), last one wins; None if absent."""
    found: str | None = None
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            found = argv[i + 1]
        elif arg.startswith("--lang="):
            found = arg.partition("=")[2]
    return found


def _add_lang(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=default,
        help=_(
            "language of what fleetctl shows (default: $FLEETCTL_LANG, then LANGUAGE, LC_ALL, "
            "LC_MESSAGES, LANG; vi_VN.UTF-8 is Vietnamese). JSON and CSV never change"
        ),
    )


def _each_subparser(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found: list[argparse.ArgumentParser] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):  # aliases share a parser
                found.append(child)
                found.extend(_each_subparser(child))
    return found


def build_parser() -> argparse.ArgumentParser:
    argparse_words.install()
    parser = argparse.ArgumentParser(
        prog="fleetctl",
        description=_("Keep large fleets of IP security cameras healthy."),
        epilog=_("Start with `fleetctl demo`. Each command has its own --help."),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"fleetctl {__version__}",
        help=_("show program's version number and exit"),
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help=_("more log output on stderr (-vv: debug)"),
    )
    _add_lang(parser, None)
    sub = parser.add_subparsers(dest="command", metavar=_("COMMAND"))
    for name in COMMANDS:
        importlib.import_module(f"fleetctl.cli.commands.{name}").register(sub)
    # `fleetctl check --lang vi` too: SUPPRESS, so an absent sub-level --lang keeps the top one.
    for child in _each_subparser(parser):
        if "--lang" not in child._option_string_actions:
            _add_lang(child, argparse.SUPPRESS)
    return parser


def _resolve(
    target: str | Callable[[argparse.Namespace], int],
) -> Callable[[argparse.Namespace], int]:
    if callable(target):
        return target
    module, _sep, func = target.partition(":")
    fn: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(module), func)
    return fn


# What a library deprecates is its maintainers' business and ours, never the user's: asyncssh
# touching DSA under cryptography 51 printed ten lines before every command. Matched by the
# warning's origin (any module but fleetctl's own) and by category or wording, because
# cryptography's CryptographyDeprecationWarning is a UserWarning, and importing it to name it
# would cost every start-up.
_LIBRARY = r"(?!fleetctl(\.|$))"
_DEPRECATIONS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


def quiet_library_warnings() -> None:
    """Hide libraries' deprecation warnings, unless the user asked for warnings with ``-W`` or
    ``PYTHONWARNINGS`` (``PYTHONWARNINGS=default fleetctl check`` shows them all again)."""
    if sys.warnoptions:
        return
    for category in _DEPRECATIONS:
        warnings.filterwarnings("ignore", category=category, module=_LIBRARY)
    warnings.filterwarnings("ignore", message=r"(?is).*\bdeprecat", module=_LIBRARY)


def entry() -> int:
    """The installed ``fleetctl`` command and ``python -m fleetctl``: the product's start.

    The warning filters go in before any heavy import. ``main()`` itself leaves the process's
    filters alone, so the test suite, which calls it in-process, still sees every warning.
    """
    quiet_library_warnings()
    return main()


_RELATIVE_TIME = re.compile(r"^-\d+(\.\d+)?(s|m|min|h|d|w)$")


def join_relative_times(argv: Sequence[str]) -> list[str]:
    """``--from -2h`` as ``--from=-2h``: argparse takes a value that starts with ``-`` for an
    option, and ``-2h`` is how people write "two hours ago"."""
    out: list[str] = []
    for arg in argv:
        if out and out[-1] in ("--from", "--to") and _RELATIVE_TIME.match(arg):
            out[-1] = f"{out[-1]}={arg}"
        else:
            out.append(arg)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    argv = join_relative_times(sys.argv[1:] if argv is None else argv)
    # Before the parser exists: its help texts are translated as they are added.
    lang = lang_from_argv(argv)
    set_language(lang if lang in LANGUAGES else None)  # a bad value: argparse says so, below
    parser = build_parser()
    args = parser.parse_args(argv)
    from fleetctl.base.logsafe import redact_known, setup_logging

    setup_logging(args.verbose)
    if not getattr(args, "run", None):
        parser.print_help()
        return ExitCode.USAGE
    try:
        return int(_resolve(args.run)(args))
    except InventoryError as err:
        print(f"fleetctl: {redact_known(str(err))}", file=sys.stderr)  # may quote a secret
        return ExitCode.INVENTORY
    except SecretsError as err:
        print(f"fleetctl: {redact_known(str(err))}", file=sys.stderr)  # may quote a secret
        return ExitCode.CONFIG
    except UsageError as err:
        print(f"fleetctl: {redact_known(str(err))}", file=sys.stderr)  # may quote a secret
        return ExitCode.USAGE
    except FileNotFoundError as err:
        print("fleetctl: " + _("no such file: %(path)s") % {"path": err.filename}, file=sys.stderr)
        return ExitCode.NOINPUT
    except FleetctlError as err:
        print(f"fleetctl: {redact_known(str(err))}", file=sys.stderr)  # may quote a secret
        return ExitCode.SOFTWARE
    except KeyboardInterrupt:
        print("fleetctl: " + _("interrupted"), file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # `fleetctl check | head`: not an error worth a traceback.
        logging.shutdown()
        return ExitCode.OK
