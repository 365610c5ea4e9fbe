"""Load an inventory: one YAML file or a folder of them (docs/inventory.md).

    load_inventory(path) -> Inventory                    raises InventoryError with EVERY problem
    load_inventory_with_warnings(path) -> (Inventory, warnings)
    load_documents([(file, text), ...]) -> (Inventory, warnings)   the same, from memory
    lint_inventory(path) -> (Inventory | None, issues)    errors and warnings, never raised
    camera_origins(path, name) -> {field: "where"}        which layer set each value (for `show`)

Top-level keys of a file: ``defaults`` (any camera field but name/host), ``policy`` (fields of
core.models.Policy), ``secrets`` (path of the secrets file, relative to this file) and ``sites``.
A site has ``defaults``, ``policy``, ``ranges`` (netaddr: CIDR, ``a-b``, globs), ``location``,
``group`` (an optional grouping, e.g. the old district name: shown, ``--select group:``),
``cameras`` and ``onboard`` (``{unique_passwords: bool}``: how `fleetctl onboard` sets accounts). A file's top-level ``defaults``/``policy`` apply to that file's sites only.

Inheritance is field by field, each layer overriding the one before it:
``policy`` -> ``defaults`` -> site ``policy`` -> site ``defaults`` -> camera. ``tags`` accumulate
(a site tag plus a camera tag), ``policy`` and ``ssh`` merge key by key, every other field is
replaced. ``https: true`` means port 443 unless a layer at least as specific sets ``port``.

A folder is read in file-name order (``*.yaml``, ``*.yml``, hidden files skipped); a file named
by another's ``secrets:`` is not an inventory and is skipped. Names are unique across everything
loaded; so are site names. Validation never stops at the first problem: every error comes with
file, 1-based line and dotted key (``sites.dong-tien.cameras[2].hostt``).

Reading: libyaml's C parser first (core.inventory.fastyaml: ~10x faster, same values and lines);
a file it leaves alone, and every file with an issue, is read with ruamel's round-trip loader,
which words every message as it always has. ``camera_origins`` reads round-trip only.
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from fleetctl.base.i18n import _
from fleetctl.core.errors import InventoryError, InventoryIssue
from fleetctl.core.inventory import fastyaml
from fleetctl.core.inventory.merge import InventoryBuilder, resolve_path
from fleetctl.core.inventory.schema import MAX_FILE_BYTES, file_too_big
from fleetctl.core.models import Inventory


def load_inventory(path: str) -> Inventory:
    """The inventory at ``path``; InventoryError lists every error (warnings are dropped)."""
    return load_inventory_with_warnings(path)[0]


def load_inventory_with_warnings(path: str) -> tuple[Inventory, tuple[InventoryIssue, ...]]:
    """The inventory and its warnings (e.g. inline passwords); errors raise InventoryError.

    A missing path raises FileNotFoundError (the CLI's exit 66); an unreadable file or a folder
    without YAML files is an InventoryError.
    """
    return load_documents([(file, _read(file)) for file in inventory_files(path)])


def inventory_files(path: str) -> list[str]:
    """The YAML files ``path`` names, in load order."""
    if os.path.isdir(path):
        names = sorted(
            n
            for n in os.listdir(path)
            if n.endswith((".yaml", ".yml"))
            and not n.startswith(".")
            and os.path.isfile(os.path.join(path, n))
        )
        if not names:
            raise InventoryError(
                [InventoryIssue(path, None, "", "no *.yaml inventory files in this folder")]
            )
        return [os.path.join(path, n) for n in names]
    if not os.path.exists(path):
        raise FileNotFoundError(2, "no such inventory file or folder", path)
    return [path]


def load_documents(
    docs: Sequence[tuple[str, str | bytes]],
) -> tuple[Inventory, tuple[InventoryIssue, ...]]:
    """Validate and merge already-read files; raises InventoryError listing every error."""
    inventory, issues = check_documents(docs)
    errors = [i for i in issues if i.severity == "error"]
    if errors or inventory is None:
        raise InventoryError(errors)
    return inventory, tuple(issues)


def lint_inventory(path: str) -> tuple[Inventory | None, list[InventoryIssue]]:
    """Every issue of the inventory at ``path``, errors and warnings, without raising for them.

    The inventory is None when there is any error. FileNotFoundError as in ``load_inventory``.
    """
    try:
        docs = [(file, _read(file)) for file in inventory_files(path)]
    except InventoryError as err:
        return None, list(err.issues)
    return check_documents(docs)


def camera_origins(path: str, name: str) -> dict[str, str]:
    """Where each of camera ``name``'s values comes from: ``{"port": "defaults (f.yaml:3)", ...}``.

    Keys are camera fields (``policy.slow_s`` for policy and ssh fields); a field absent from
    the result has its built-in default. InventoryError as in ``load_inventory``.
    """
    docs = [(file, _read(file)) for file in inventory_files(path)]
    builder = _build(docs, track_origins=True)
    if any(i.severity == "error" for i in builder.issues):
        raise InventoryError([i for i in builder.issues if i.severity == "error"])
    return builder.origins.get(name, {})


def check_documents(
    docs: Sequence[tuple[str, str | bytes]], *, fast: bool = True
) -> tuple[Inventory | None, list[InventoryIssue]]:
    """(inventory or None if any error, every issue in file then line order).

    ``fast=False`` reads with the round-trip loader only: the same result, slower (the
    reference the fast path is tested against).
    """
    builder = _build(docs, fast=fast)
    if any(i.severity == "error" for i in builder.issues):
        return None, builder.issues
    inventory = Inventory(
        cameras=tuple(builder.cameras),
        sites=tuple(builder.sites),
        files=tuple(builder.files),
        secrets_path=builder.secrets_path,
        known_hosts_path=builder.known_hosts_path,
    )
    return inventory, builder.issues


def _build(
    docs: Sequence[tuple[str, str | bytes]], *, track_origins: bool = False, fast: bool = True
) -> InventoryBuilder:
    """Parse and build; the fast parser first, the round-trip loader where anything is said.

    The fast parser (core.inventory.fastyaml) gives the same values and lines as the round-trip
    loader on the files it accepts. Still, every file with an issue (error or warning) is read
    again with the round-trip loader and the whole build redone, so each message stays exactly
    what it has always been, worded from ruamel's own types and positions. ``track_origins``
    (for ``inventory show``) goes the round-trip way directly: it reads every line.
    """
    with _gc_paused():
        return _parse_and_build(docs, track_origins, fast and not track_origins)


@contextmanager
def _gc_paused() -> Iterator[None]:
    # A load allocates ~10 containers per camera and keeps them all: the cyclic collector would
    # rescan the growing heap again and again (2-3x the time of a 10,000-camera load) to free
    # nothing. Reference counting still frees the garbage; a collection may run afterwards.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse_and_build(
    docs: Sequence[tuple[str, str | bytes]], track_origins: bool, fast: bool
) -> InventoryBuilder:
    texts = [(file, _decode(file, text)) for file, text in docs]
    use_fast = fast and fastyaml.available()
    parsed = [_parse(file, text, fast=use_fast) for file, text in texts]
    builder = _build_parsed(docs, parsed, track_origins)
    redo = {i.file for i in builder.issues}
    if use_fast and (redo := redo & {p.file for p in parsed if p.fast}):
        parsed = [
            _parse(p.file, text, fast=False) if p.fast and p.file in redo else p
            for p, (_, text) in zip(parsed, texts, strict=True)
        ]
        builder = _build_parsed(docs, parsed, track_origins)
    return builder


class _Parsed(NamedTuple):
    file: str
    doc: Any  # the document, or None when it could not be read
    issues: list[InventoryIssue]
    fast: bool  # read by the fast parser (its issues, if any, must be re-worded: see _build)


def _build_parsed(
    docs: Sequence[tuple[str, str | bytes]], parsed: Sequence[_Parsed], track_origins: bool
) -> InventoryBuilder:
    secret_files = {
        resolve_path(p.file, p.doc["secrets"])
        for p in parsed
        if isinstance(p.doc, dict) and isinstance(p.doc.get("secrets"), str)
    }
    builder = InventoryBuilder(track_origins=track_origins)
    for file, doc, issues, _fast in parsed:
        if os.path.abspath(file) in secret_files:
            continue  # `secrets: secrets.yaml` next to the inventory, inside the same folder
        builder.files.append(file)
        builder.issues.extend(issues)
        if doc is not None:
            builder.add_file(file, doc)
    order = {file: n for n, (file, _) in enumerate(docs)}
    # Stable sort: issues on one line keep the order they were found in.
    builder.issues.sort(key=lambda i: (order.get(i.file, -1), i.line or 0))
    return builder


def _read(file: str) -> bytes:
    try:
        with open(file, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)  # never a whole runaway file in memory
    except OSError as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise InventoryError(
            [
                InventoryIssue(
                    file, None, "", _("cannot read: %(reason)s") % {"reason": err.strerror}
                )
            ]
        ) from None
    if len(data) > MAX_FILE_BYTES:
        raise InventoryError([InventoryIssue(file, None, "", file_too_big())])
    return data


def _decode(file: str, text: str | bytes) -> str | InventoryIssue:
    """The text of a file, or the issue saying it is not UTF-8."""
    if not isinstance(text, bytes):
        return text
    try:
        return text.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = text[: err.start].count(b"\n") + 1
        return InventoryIssue(
            file,
            line,
            "",
            _("not UTF-8 (byte %(byte)s): save the file as UTF-8")
            % {"byte": f"0x{text[err.start]:02x}"},
        )


def _parse(file: str, text: str | InventoryIssue, *, fast: bool) -> _Parsed:
    """One file read (fast parser, else round-trip); a syntax error is an issue with its line."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    if isinstance(text, InventoryIssue):
        return _Parsed(file, None, [text], False)
    if fast:
        try:
            return _Parsed(file, fastyaml.parse_fast(text), [], True)
        except fastyaml.FastPathUnavailable:
            pass  # an error to word, or YAML the fast parser leaves to ruamel: read it again
    try:
        return _Parsed(file, YAML(typ="rt").load(text), [], False)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        return _Parsed(file, None, [InventoryIssue(file, line, "", _yaml_message(err))], False)
    except YAMLError as err:
        issue = InventoryIssue(
            file, None, "", _("YAML error: %(error)s") % {"error": type(err).__name__}
        )
        return _Parsed(file, None, [issue], False)
    except (ValueError, TypeError, IndexError, KeyError, RecursionError) as err:
        # ruamel's constructors let these through: `location: 2026-02-30` (no such day), `-_`
        # (an int without digits), a mapping as a key. Never the error's text: it may quote a
        # value. (Before, these escaped as a crash of every command.)
        what = _(
            "YAML error: a value cannot be read (%(error)s), e.g. a date that does not exist"
        ) % {"error": type(err).__name__}
        issue = InventoryIssue(file, None, "", what)
        return _Parsed(file, None, [issue], False)


def _yaml_message(err: Any) -> str:
    # Never str(err): ruamel quotes the offending source line, which may hold an inline password.
    problem = str(err.problem or "syntax error")
    dup = re.match(r'found duplicate key "(.*?)" with value', problem, re.S)
    if dup:
        return _("duplicate key `%(key)s`") % {"key": dup.group(1)}
    if err.context:
        return _("YAML syntax error: %(problem)s (%(context)s)") % {
            "problem": problem,
            "context": err.context,
        }
    return _("YAML syntax error: %(problem)s") % {"problem": problem}
