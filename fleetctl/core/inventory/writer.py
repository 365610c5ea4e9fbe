"""Add or update cameras in an inventory file, keeping everything a human wrote.

    upsert_camera(path, site, fields) -> bool                   True if the file changed
    upsert_cameras(path, site, [fields, ...]) -> [bool, ...]    one read, check and write for all

ruamel.yaml round-trip keeps comments, key order, quoting and the file's indentation (guessed
from the file itself). The result is re-validated with the loader *before* it replaces the file,
and the replacement is atomic (core.atomicfile), under a directory lock so two onboarding runs
cannot lose each other's camera. Updating with values already there writes nothing: the bytes
stay identical, and the call returns False.

Speed: the round-trip loader and dumper are pure Python, ~5 ms per camera of the *file* (50 s
for a 10,000-camera file, per write). So (1) a batch is one read, one validation and one write
for all its cameras, and (2) new cameras appended to a site whose file is in the plain layout
ruamel itself writes skip the round trip: core.inventory.append inserts the items ruamel renders
at the place ruamel would put them (the same bytes: tests/loopback/test_inventory_write_fast.py), and
anything else (an update, an unusual layout) takes the round-trip path.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from fleetctl.core.atomicfile import atomic_write, locked_dir
from fleetctl.core.errors import InventoryError, InventoryIssue
from fleetctl.core.inventory import append as inventory_append
from fleetctl.core.inventory.load import load_documents
from fleetctl.core.inventory.schema import CAMERA_FIELDS
from fleetctl.core.secret import Secret

_KEY_LINE = re.compile(r"^( +)[^\s#\-][^:\n]*:", re.M)
_SEQ_ITEM = re.compile(r"^( *)-( +)[^\s#]", re.M)  # the first block-sequence item


def upsert_camera(path: str, site: str, fields: Mapping[str, Any]) -> bool:
    """Add camera ``fields["name"]`` to ``site`` in ``path``, or update it there.

    ``fields`` holds camera keys (docs/inventory.md); a value of None removes that key. Tuples and
    lists are written in flow style (``tags: [a, b]``), mappings too (``ssh: {port: 22}``).
    The site (and ``sites:``, and the file) are created when missing. Inline passwords are
    refused: store them with ``adapters.secrets.set_credential`` and write ``credentials:``.
    Raises InventoryError (file untouched) when the camera lives in another site of this file
    or when the result would not load; ValueError for fields that are not camera keys.
    """
    return upsert_cameras(path, site, [fields])[0]


def upsert_cameras(path: str, site: str, batch: Sequence[Mapping[str, Any]]) -> list[bool]:
    """``upsert_camera`` for each of ``batch`` in order, in ONE locked read-validate-write.

    All or nothing: the file holds every camera of the batch when this returns, and none of
    them when it raises (InventoryError or ValueError as ``upsert_camera``, for any one camera;
    OSError from the write). Element i of the result: camera i changed something. A name given
    twice is applied twice, in order (the second sees the first).
    """
    for fields in batch:
        _check_fields(fields)
    if not batch:
        return []
    path = os.path.abspath(path)
    with locked_dir(os.path.dirname(path)):
        try:
            with open(path, "rb") as fh:
                original = fh.read().decode("utf-8")
        except FileNotFoundError:
            original = ""
        yaml = _yaml_for(original)
        appended = _append_fast(original, site, batch, yaml)
        if appended is not None:
            text, results = appended, [True] * len(batch)
        else:
            text, results = _round_trip(path, original, site, batch, yaml)
            if not any(results):
                return results
        load_documents([(path, text)])  # raises InventoryError: the old file stays as it was
        atomic_write(path, text.encode("utf-8"))
    return results


# Tests turn the fast append off to get the round-trip writer's bytes for the same call.
FAST_APPEND = True


def _append_fast(
    original: str, site: str, batch: Sequence[Mapping[str, Any]], yaml: Any
) -> str | None:
    """The file with the batch's new cameras appended, or None: take the round-trip path."""
    if not FAST_APPEND or not original:
        return None
    names = [str(f["name"]) for f in batch]
    if len(set(names)) != len(names):
        return None  # the second updates the first: the round trip's business
    items = []
    for fields in batch:
        cam = _mapping(name=fields["name"])
        _apply(cam, fields)
        items.append(cam)
    return inventory_append.append_cameras(original, site, items, yaml)


def _check_fields(fields: Mapping[str, Any]) -> None:
    name = fields.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("fields must include the camera's name")
    bad = sorted(
        k
        for k in fields
        if k not in CAMERA_FIELDS or k == "password" or isinstance(fields[k], Secret)
    )
    if bad:
        raise ValueError(
            f"cannot write {', '.join(bad)}: not camera keys (passwords go in the secrets file)"
        )


def _round_trip(
    path: str, original: str, site: str, batch: Sequence[Mapping[str, Any]], yaml: Any
) -> tuple[str, list[bool]]:
    """(the dumped text, changed flags): ruamel's load, edit in place, dump."""
    doc = yaml.load(original) if original.strip() else None
    doc = _mapping() if doc is None else doc
    results = [_apply(_find_or_add(path, doc, site, str(f["name"])), f) for f in batch]
    if not any(results):
        return original, results
    buf = io.StringIO()
    yaml.dump(doc, buf)
    return buf.getvalue(), results


def _yaml_for(text: str) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long location or URL the user kept on one line
    mapping, sequence, offset = guess_indent(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) indentation as ruamel.yaml's ``indent()`` takes them.

    From the text alone (ruamel's own guesser parses the whole file: a second full parse of a
    5,000-camera inventory). Defaults to the documented style: ``cameras:`` then ``  - name:``.
    """
    indents = [len(m.group(1)) for m in _KEY_LINE.finditer(text)]
    mapping = min(indents) if indents else 2
    item = _SEQ_ITEM.search(text)
    if item is None:
        return mapping, mapping + 2, 2
    dash = len(item.group(1))
    parent = 0
    for line in reversed(text[: item.start()].splitlines()):
        if line.strip() and not line.lstrip().startswith("#"):
            parent = len(line) - len(line.lstrip(" "))
            break
    offset = max(0, dash - parent)
    return mapping, offset + 1 + len(item.group(2)), offset


def _mapping(flow: bool = False, **items: Any) -> Any:
    from ruamel.yaml.comments import CommentedMap

    m = CommentedMap(items)
    if flow:
        m.fa.set_flow_style()
    return m


def _to_yaml(value: Any) -> Any:
    from ruamel.yaml.comments import CommentedSeq

    if isinstance(value, list | tuple):
        seq = CommentedSeq([_to_yaml(v) for v in value])
        seq.fa.set_flow_style()
        return seq
    if isinstance(value, Mapping):
        return _mapping(True, **{str(k): _to_yaml(v) for k, v in value.items()})
    return value


def _same(old: Any, new: Any) -> bool:
    if isinstance(new, list | tuple):
        return isinstance(old, list) and len(old) == len(new) and all(map(_same, old, new))
    if isinstance(new, Mapping):
        return (
            isinstance(old, dict)
            and old.keys() == new.keys()
            and all(_same(old[k], new[k]) for k in new)
        )
    return type(old) is type(new) and bool(old == new)


def _find_or_add(path: str, doc: Any, site: str, name: str) -> Any:
    if not isinstance(doc, dict):
        raise InventoryError(
            [InventoryIssue(path, 1, "", "the file is not a mapping: fix it first")]
        )
    sites = doc.get("sites")
    if sites is None:
        sites = doc["sites"] = _mapping()
    for other, node in sites.items():
        for i, cam in enumerate((node or {}).get("cameras") or []):
            if isinstance(cam, dict) and cam.get("name") == name and other != site:
                key = f"sites.{other}.cameras[{i}]"
                raise InventoryError(
                    [
                        InventoryIssue(
                            path, None, key, f"camera `{name}` is already in site `{other}`"
                        )
                    ]
                )
    node = sites.get(site)
    if node is None:
        node = sites[site] = _mapping()
    cameras = node.get("cameras")
    if cameras is None:
        from ruamel.yaml.comments import CommentedSeq

        cameras = node["cameras"] = CommentedSeq()
    for cam in cameras:
        if isinstance(cam, dict) and cam.get("name") == name:
            return cam
    cam = _mapping(name=name)
    cameras.append(cam)
    return cam


def _apply(camera: Any, fields: Mapping[str, Any]) -> bool:
    """Set or remove each field; True if anything differs. A new camera counts as a change."""
    changed = len(camera) == 1  # only `name`: it was just added
    # name and host first: that is how people read (and write) a camera entry.
    for key in sorted(fields, key=lambda k: (k not in ("name", "host"), k != "name")):
        value = fields[key]
        if value is None:
            if key in camera:
                del camera[key]
                changed = True
        elif key not in camera or not _same(camera[key], value):
            camera[key] = _to_yaml(value)
            changed = True
    return changed
