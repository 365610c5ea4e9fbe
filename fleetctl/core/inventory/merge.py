"""Inheritance and cross-file checks of the inventory: one InventoryBuilder per load.

``core.inventory.load`` parses the files; the builder walks each document through the schema
(``core.inventory.schema``), merges the layers (``policy`` -> ``defaults`` -> site ``policy`` ->
site ``defaults`` -> camera), checks what spans files (duplicate names and sites, conflicting
``secrets:``, two cameras on one address) and records where every value came from.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from fleetctl.base.i18n import _
from fleetctl.core.errors import InventoryIssue
from fleetctl.core.firmware.compliance import merge_policy
from fleetctl.core.inventory import schema
from fleetctl.core.models import Camera, FirmwarePolicy, Policy, Site, Source, SshSpec


def resolve_path(file: str, relative: str) -> str:
    """``relative`` (``~`` allowed) resolved against the folder of ``file``."""
    base = os.path.dirname(os.path.abspath(file))
    return os.path.normpath(os.path.join(base, os.path.expanduser(relative)))


@dataclass
class InventoryBuilder:
    cameras: list[Camera] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    issues: list[InventoryIssue] = field(default_factory=list)
    secrets_path: str | None = None
    secrets_from: str = ""
    known_hosts_path: str | None = None
    seen_names: dict[str, Source] = field(default_factory=dict)
    seen_sites: dict[str, Site] = field(default_factory=dict)  # the first of each name
    seen_addresses: dict[tuple[str, int], tuple[str, Source]] = field(default_factory=dict)
    seen_identities: dict[tuple[str, str], tuple[str, Source]] = field(default_factory=dict)
    # Camera name -> field -> where its value came from (``inventory show``). Only filled with
    # ``track_origins``: a line lookup and a string per field of every camera, for one reader.
    origins: dict[str, dict[str, str]] = field(default_factory=dict)
    track_origins: bool = False

    def add_file(self, file: str, doc: Any) -> None:
        sink = schema.IssueSink(file, self.issues)
        top = schema.check_mapping(sink, doc, "", schema.node_line(doc) or 1, _TOP_SCHEMA)
        if top is None:
            return
        if "secrets" in top:
            resolved = resolve_path(file, top["secrets"])
            if self.secrets_path is not None and resolved != self.secrets_path:
                sink.error(
                    schema.key_line(doc, "secrets"),
                    "secrets",
                    _("conflicts with `secrets:` in %(file)s") % {"file": self.secrets_from},
                )
            else:
                self.secrets_path, self.secrets_from = resolved, file
        if "known_hosts" in top and self.known_hosts_path is None:
            self.known_hosts_path = resolve_path(file, top["known_hosts"])
        base = [
            _Layer("policy", {"policy": top.get("policy", {})}, doc, file),
            _Layer("defaults", top.get("defaults", {}), doc.get("defaults"), file),
        ]
        for site_name, site_node in (top.get("sites") or {}).items():
            self._add_site(
                sink, doc["sites"], str(site_name), site_node, base, top.get("firmware"),
                top.get("tz"),
            )  # fmt: skip

    def _add_site(
        self,
        sink: schema.IssueSink,
        sites_node: Any,
        name: str,
        node: Any,
        base: list[_Layer],
        firmware: FirmwarePolicy | None = None,
        tz: str | None = None,
    ) -> None:
        key, line = f"sites.{name}", schema.key_line(sites_node, name)
        site = schema.check_mapping(sink, node, key, line, _SITE_SCHEMA) if node is not None else {}
        if site is None:
            return
        if "," in name or not name.strip():
            sink.error(line, key, _("a site name must be non-empty and without commas"))
        if (other := self.seen_sites.get(name)) is not None:
            sink.error(
                line,
                key,
                _("site `%(name)s` is already defined at %(where)s")
                % {"name": name, "where": other.source},
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
        inherited = _merge([layer.values for layer in layers])
        new_site = Site(
            name,
            site.get("ranges", ()),
            site.get("location"),
            Source(sink.file, line),
            credentials=inherited.get("credentials"),
            port=inherited.get("port", 443 if inherited.get("https") else 80),
            unique_passwords=site.get("onboard", {}).get("unique_passwords", False),
            firmware=merge_policy(firmware, site.get("firmware")),
            group=site.get("group"),
            tz=site.get("tz", tz),
        )
        self.sites.append(new_site)
        self.seen_sites.setdefault(name, new_site)
        for i, cam_node in enumerate(site.get("cameras", ())):
            self._add_camera(
                sink,
                node["cameras"],
                f"{key}.cameras[{i}]",
                i,
                cam_node,
                name,
                layers,
                inherited,
                site.get("group"),
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
        inherited: dict[str, Any],
        group: str | None = None,
    ) -> None:
        """``inherited``: the merge of ``layers`` (the same for every camera of the site)."""
        line = schema.key_line(seq, i)
        own = schema.check_mapping(sink, node, key, line, schema.CAMERA_FIELDS)
        if own is None:
            return
        missing = [k for k in ("name", "host") if k not in node]
        for k in missing:
            sink.error(line, key, _("missing required key `%(key)s`") % {"key": k})
        if "name" not in own or "host" not in own:
            return  # reported above (missing) or by the field checker (invalid)
        layers = [*layers, _Layer("camera", own, node, sink.file)]
        merged = _merge([inherited, own])  # == _merge of all layers, without redoing the site's
        source = Source(sink.file, line)
        if (first := self.seen_names.get(own["name"])) is not None:
            sink.error(
                schema.key_line(node, "name"),
                f"{key}.name",
                _("duplicate camera name `%(name)s` (first at %(where)s)")
                % {"name": own["name"], "where": first},
            )
            return
        self.seen_names[own["name"]] = source
        if merged.get("onvif") is False and not merged.get("rtsp_url"):
            sink.error(line, key, _("an RTSP-only camera (onvif: false) needs `rtsp_url`"))
            return
        origins = _origins(layers) if self.track_origins else None
        if merged.get("https") and _deepest(layers, "https") > _deepest(layers, "port"):
            merged["port"] = 443  # `https: true` on a camera beats a fleet-wide `port: 80`
            if origins is not None:
                origins["port"] = f"https: true in {origins['https']}"
        address = (merged["host"].lower(), merged.get("port", 80))
        if (twin := self.seen_addresses.get(address)) is not None:
            # Port-forwarded cameras share a host with different ports; the same host AND port
            # twice is nearly always a copy-paste slip (and two entries fighting over one device).
            sink.warn(
                schema.key_line(node, "host"),
                f"{key}.host",
                _("same address %(host)s:%(port)s as `%(name)s` (%(where)s)")
                % {"host": address[0], "port": address[1], "name": twin[0], "where": twin[1]},
            )
        else:
            self.seen_addresses[address] = (own["name"], source)
        for ident in ("endpoint", "serial", "mac"):
            value = own.get(ident)
            if value is None:
                continue
            if (twin := self.seen_identities.get((ident, value))) is not None:
                # Two entries claiming one device: discover could not tell them apart.
                sink.warn(
                    schema.key_line(node, ident),
                    f"{key}.{ident}",
                    _("same %(key)s as `%(name)s` (%(where)s)")
                    % {"key": ident, "name": twin[0], "where": twin[1]},
                )
            else:
                self.seen_identities[(ident, value)] = (own["name"], source)
        if origins is not None:
            self.origins[own["name"]] = origins
        ssh = merged.pop("ssh", None)
        self.cameras.append(
            Camera(
                site=site,
                group=group,
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
            line,
            key,
            _("must be a list of cameras (`- name: ...`), not %(type)s")
            % {"type": schema.type_name(v)},
        )
        return schema.INVALID
    return v  # each camera is checked by InventoryBuilder._add_camera, with its inheritance


def _check_sites(sink: schema.IssueSink, v: Any, key: str, line: int | None) -> Any:
    if v is None:
        return {}
    if not isinstance(v, dict):
        sink.error(line, key, _("must be a mapping of site name to site"))
        return schema.INVALID
    return v


# `onboard:` on a site: how `fleetctl onboard` takes new devices in there.
_ONBOARD_SCHEMA: dict[str, schema.Checker] = {
    # true: a generated password per camera (secrets `onboard-<id>`) instead of the site's
    # shared `credentials:` (one leaked camera does not open the others).
    "unique_passwords": schema.check_bool,
}


def _check_onboard(sink: schema.IssueSink, v: Any, key: str, line: int | None) -> Any:
    out = schema.check_mapping(sink, v, key, line, _ONBOARD_SCHEMA)
    return schema.INVALID if out is None else out


_TOP_SCHEMA: dict[str, schema.Checker] = {
    "defaults": _check_defaults,
    "firmware": schema.check_firmware,
    "known_hosts": schema.check_str,
    "policy": schema.check_policy,
    "secrets": schema.check_str,
    "sites": _check_sites,
    "tz": schema.check_zone,  # the zone of this file's sites that do not name their own
}
_SITE_SCHEMA: dict[str, schema.Checker] = {
    "defaults": _check_defaults,
    "firmware": schema.check_firmware,
    "policy": schema.check_policy,
    "ranges": schema.check_ranges,
    "location": schema.check_text,
    # An optional grouping of sites, shown and selectable (`--select group:...`): since 2025
    # sites are communes and wards, and the district they belonged to is at most a label.
    "group": schema.check_text,
    # The site's time zone (IANA): footage times written without a zone are its local time.
    "tz": schema.check_zone,
    "cameras": _check_cameras,
    "onboard": _check_onboard,
}
