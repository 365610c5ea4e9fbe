"""Recorded footage arithmetic (`fleetctl footage`): pure functions, no I/O.

``coverage`` (a window against recorded intervals: full, partial, none or unknown, the seconds
covered, the gaps, the earliest and latest recorded instants; recording history events into
intervals; the camera's clock into true UTC), ``timespec`` (``--from``/``--to`` values: ISO 8601
with or without a zone, ``-2h``, ``yesterday 21:00``), ``zones`` (which zone such times are read
in: ``--tz``, else the camera's site's ``tz:``, else this machine's). May import only
``core.models`` and ``base``.
"""
