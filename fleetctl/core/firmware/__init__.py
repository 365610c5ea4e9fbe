"""Firmware, pure: vendor version strings read defensively, the advisory rules table, and the
fleet's firmware policy.

``versions`` (``V5.5.800 build 210628``, ``2.800.0000000.16.R, Build Date: 2021-06-08``,
``9.80.3.8`` -> numbers and build date), ``advisories`` (rows of vendor, model patterns,
version and build-date ranges, advisory ids, sources; matching a device against them),
``compliance`` (the inventory's ``firmware:`` minimum/approved policy, and the per-model
summary `fleetctl firmware` prints). The rules file shipped with the package is
``advisories.yaml`` beside this module. May import the rest of ``core`` and ``base``.
"""
