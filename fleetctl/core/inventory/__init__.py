"""The inventory: schema, loading, inheritance and comment-keeping writes. Pure.

``load`` (files and folders to an ``Inventory``), ``schema`` (which keys exist and what their
values must be), ``merge`` (defaults -> site -> camera, cross-file checks), ``fastyaml`` (the C
parser path), ``writer`` and ``append`` (round-trip and text-append writes, atomic).
May import the rest of ``core`` and ``base``; no network, no UI.
"""
