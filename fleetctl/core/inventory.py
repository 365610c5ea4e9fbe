"""Load an inventory: one YAML file or a folder of them (CONTRACTS.md: Inventory).

    load_inventory(path) -> Inventory                    raises InventoryError with EVERY problem
    load_inventory_with_warnings(path) -> (Inventory, warnings)
    load_documents([(file, text), ...]) -> (Inventory, warnings)   the same, from memory
    lint_inventory(path) -> (Inventory | None, issues)    errors and warnings, never raised
    camera_origins(path, name) -> {field: "where"}        which layer set each value (for `show`)

Top-level keys of a file: ``defaults`` (any camera field but name/host), ``policy`` (fields of
core.models.Policy), ``secrets`` (path of the secrets file, relative to this file) and ``sites``.
A site has ``defaults``, ``policy``, ``ranges`` (netaddr: CIDR, ``a-b``, globs), ``location`` and
``cameras``. A file's top-level ``defaults``/``policy`` apply to that file's sites only.

Inheritance is field by field, each layer overriding the one before it:
``policy`` -> ``defaults`` -> site ``policy`` -> site ``defaults`` -> camera. ``tags`` accumulate
(a site tag plus a camera tag), ``policy`` and ``ssh`` merge key by key, every other field is
replaced. ``https: true`` means port 443 unless a layer at least as specific sets ``port``.

A folder is read in file-name order (``*.yaml``, ``*.yml``, hidden files skipped); a file named
by another's ``secrets:`` is not an inventory and is skipped. Names are unique across everything
loaded; so are site names. Validation never stops at the first problem: every error comes with
file, 1-based line and dotted key (``sites.dong-tien.cameras[2].hostt``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from fleetctl.core import inventory_schema as schema
from fleetctl.core.errors import InventoryError, InventoryIssue
from fleetctl.core.models import Camera, Inventory, Policy, Site, Source, SshSpec


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
    builder = _build(docs)
    if any(i.severity == "error" for i in builder.issues):
        raise InventoryError([i for i in builder.issues if i.severity == "error"])
    return builder.origins.get(name, {})


def check_documents(
    docs: Sequence[tuple[str, str | bytes]],
) -> tuple[Inventory | None, list[InventoryIssue]]:
    """(inventory or None if any error, every issue in file then line order)."""
    builder = _build(docs)
    if any(i.severity == "error" for i in builder.issues):
        return None, builder.issues
    inventory = Inventory(
        cameras=tuple(builder.cameras),
        sites=tuple(builder.sites),
        files=tuple(builder.files),
        secrets_path=builder.secrets_path,
    )
    return inventory, builder.issues


def _build(docs: Sequence[tuple[str, str | bytes]]) -> _Builder:
    parsed = [(file, *_parse(file, text)) for file, text in docs]
    secret_files = {
        _resolve(file, doc["secrets"])
        for file, doc, _ in parsed
        if isinstance(doc, dict) and isinstance(doc.get("secrets"), str)
    }
    builder = _Builder()
    for file, doc, issues in parsed:
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
            return fh.read()
    except OSError as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise InventoryError(
            [InventoryIssue(file, None, "", f"cannot read: {err.strerror}")]
        ) from None


def _resolve(file: str, relative: str) -> str:
    base = os.path.dirname(os.path.abspath(file))
    return os.path.normpath(os.path.join(base, os.path.expanduser(relative)))


def _parse(file: str, text: str | bytes) -> tuple[Any, list[InventoryIssue]]:
    """(document or None, issues) for one file; a syntax error is an issue with its line."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    if isinstance(text, bytes):
        raw = text
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            line = raw[: err.start].count(b"\n") + 1
            return None, [
                InventoryIssue(
                    file,
                    line,
                    "",
                    f"not UTF-8 (byte 0x{raw[err.start]:02x}): save the file as UTF-8",
                )
            ]
    try:
        return YAML(typ="rt").load(text), []
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        return None, [InventoryIssue(file, mark.line + 1 if mark else None, "", _yaml_message(err))]
    except YAMLError as err:
        return None, [InventoryIssue(file, None, "", f"YAML error: {type(err).__name__}")]


def _yaml_message(err: Any) -> str:
    # Never str(err): ruamel quotes the offending source line, which may hold an inline password.
    problem = str(err.problem or "syntax error")
    dup = re.match(r'found duplicate key "(.*?)" with value', problem, re.S)
    if dup:
        return f"duplicate key `{dup.group(1)}`"
    context = f" ({err.context})" if err.context else ""
    return f"YAML syntax error: {problem}{context}"


@dataclass
class _Builder:
    cameras: list[Camera] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    issues: list[InventoryIssue] = field(default_factory=list)
    secrets_path: str | None = None
    secrets_from: str = ""
    seen_names: dict[str, Source] = field(default_factory=dict)
    seen_addresses: dict[tuple[str, int], tuple[str, Source]] = field(default_factory=dict)
    origins: dict[str, dict[str, str]] = field(default_factory=dict)

    def add_file(self, file: str, doc: Any) -> None:
        sink = schema.IssueSink(file, self.issues)
        top = schema.check_mapping(sink, doc, "", schema.node_line(doc) or 1, _TOP_SCHEMA)
        if top is None:
            return
        if "secrets" in top:
            resolved = _resolve(file, top["secrets"])
            if self.secrets_path is not None and resolved != self.secrets_path:
                sink.error(
                    schema.key_line(doc, "secrets"),
                    "secrets",
                    f"conflicts with `secrets:` in {self.secrets_from}",
                )
            else:
                self.secrets_path, self.secrets_from = resolved, file
        base = [
            _Layer("policy", {"policy": top.get("policy", {})}, doc, file),
            _Layer("defaults", top.get("defaults", {}), doc.get("defaults"), file),
        ]
        for site_name, site_node in (top.get("sites") or {}).items():
            self._add_site(sink, doc["sites"], str(site_name), site_node, base)

    def _add_site(
        self,
        sink: schema.IssueSink,
        sites_node: Any,
        name: str,
        node: Any,
        base: list[_Layer],
    ) -> None:
        key, line = f"sites.{name}", schema.key_line(sites_node, name)
        site = schema.check_mapping(sink, node, key, line, _SITE_SCHEMA) if node is not None else {}
        if site is None:
            return
        if "," in name or not name.strip():
            sink.error(line, key, "a site name must be non-empty and without commas")
        if (other := next((s for s in self.sites if s.name == name), None)) is not None:
            sink.error(line, key, f"site `{name}` is already defined at {other.source}")
        self.sites.append(
            Site(name, site.get("ranges", ()), site.get("location"), Source(sink.file, line))
        )
        layers = [
            *base,
            _Layer(f"site {name} policy", {"policy": site.get("policy", {})}, node, sink.file),
            _Layer(
                f"site {name} defaults",
                site.get("defaults", {}),
                (node or {}).get("defaults"),
                sink.file,
            ),
        ]
        for i, cam_node in enumerate(site.get("cameras", ())):
            self._add_camera(
                sink, node["cameras"], f"{key}.cameras[{i}]", i, cam_node, name, layers
            )

    def _add_camera(
        self,
        sink: schema.IssueSink,
        seq: Any,
        key: str,
        i: int,
        node: Any,
        site: str,
        layers: list[_Layer],
    ) -> None:
        line = schema.key_line(seq, i)
        own = schema.check_mapping(sink, node, key, line, schema.CAMERA_FIELDS)
        if own is None:
            return
        missing = [k for k in ("name", "host") if k not in node]
        for k in missing:
            sink.error(line, key, f"missing required key `{k}`")
        if "name" not in own or "host" not in own:
            return  # reported above (missing) or by the field checker (invalid)
        layers = [*layers, _Layer("camera", own, node, sink.file)]
        merged = _merge([layer.values for layer in layers])
        source = Source(sink.file, line)
        if (first := self.seen_names.get(own["name"])) is not None:
            sink.error(
                schema.key_line(node, "name"),
                f"{key}.name",
                f"duplicate camera name `{own['name']}` (first at {first})",
            )
            return
        self.seen_names[own["name"]] = source
        if merged.get("onvif") is False and not merged.get("rtsp_url"):
            sink.error(line, key, "an RTSP-only camera (onvif: false) needs `rtsp_url`")
            return
        origins = _origins(layers)
        if merged.get("https") and _deepest(layers, "https") > _deepest(layers, "port"):
            merged["port"] = 443  # `https: true` on a camera beats a fleet-wide `port: 80`
            origins["port"] = f"https: true in {origins['https']}"
        address = (merged["host"].lower(), merged.get("port", 80))
        if (twin := self.seen_addresses.get(address)) is not None:
            # Port-forwarded cameras share a host with different ports; the same host AND port
            # twice is nearly always a copy-paste slip (and two entries fighting over one device).
            sink.warn(
                schema.key_line(node, "host"),
                f"{key}.host",
                f"same address {address[0]}:{address[1]} as `{twin[0]}` ({twin[1]})",
            )
        else:
            self.seen_addresses[address] = (own["name"], source)
        self.origins[own["name"]] = origins
        ssh = merged.pop("ssh", None)
        self.cameras.append(
            Camera(
                site=site,
                source=source,
                policy=Policy(**merged.pop("policy", {})),
                ssh=SshSpec(**ssh) if ssh is not None else None,
                **merged,
            )
        )


class _Layer(NamedTuple):
    """One level of inheritance: its cleaned values and the YAML node they were read from."""

    label: str  # "defaults", "site dong-tien policy", "camera", ...
    values: dict[str, Any]
    node: Any  # the ruamel mapping holding the keys (for line numbers), or None
    file: str


def _deepest(layers: Sequence[_Layer], key: str) -> int:
    """Index of the most specific layer that sets ``key`` (-1: none)."""
    return max((n for n, layer in enumerate(layers) if key in layer.values), default=-1)


def _origins(layers: Sequence[_Layer]) -> dict[str, str]:
    """Field (``port``, ``policy.slow_s``, ``tags``) -> where its value came from."""
    out: dict[str, str] = {}
    for layer in layers:
        for k, v in layer.values.items():
            where = f"{layer.label} ({layer.file}:{schema.key_line(layer.node, k)})"
            if k in ("policy", "ssh") and isinstance(v, dict):
                sub_node = layer.node.get(k) if isinstance(layer.node, dict) else None
                for sub in v:
                    line = schema.key_line(sub_node, sub)
                    out[f"{k}.{sub}"] = f"{layer.label} ({layer.file}:{line})"
            elif k == "tags" and k in out:
                out[k] = f"{out[k]} + {where}"  # tags accumulate across layers
            else:
                out[k] = where
    return out


def _merge(layers: Sequence[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for layer in layers:
        for k, v in layer.items():
            if k == "tags":
                out[k] = tuple(dict.fromkeys((*out.get(k, ()), *v)))  # union, first-seen order
            elif k in ("policy", "ssh"):
                out[k] = {**out.get(k, {}), **v}
            else:
                out[k] = v
    return out


def _check_defaults(sink: schema.IssueSink, v: Any, key: str, line: int | None) -> Any:
    out = schema.check_mapping(sink, v, key, line, schema.DEFAULT_FIELDS, schema.DEFAULT_REFUSED)
    return schema.INVALID if out is None else out


def _check_cameras(sink: schema.IssueSink, v: Any, key: str, line: int | None) -> Any:
    if not isinstance(v, list):
        sink.error(
            line, key, f"must be a list of cameras (`- name: ...`), not {schema.type_name(v)}"
        )
        return schema.INVALID
    return v  # each camera is checked by _Builder._add_camera, with its inheritance


def _check_sites(sink: schema.IssueSink, v: Any, key: str, line: int | None) -> Any:
    if v is None:
        return {}
    if not isinstance(v, dict):
        sink.error(line, key, "must be a mapping of site name to site")
        return schema.INVALID
    return v


_TOP_SCHEMA: dict[str, schema.Checker] = {
    "defaults": _check_defaults,
    "policy": schema.check_policy,
    "secrets": schema.check_str,
    "sites": _check_sites,
}
_SITE_SCHEMA: dict[str, schema.Checker] = {
    "defaults": _check_defaults,
    "policy": schema.check_policy,
    "ranges": schema.check_ranges,
    "location": schema.check_str,
    "cameras": _check_cameras,
}
