"""The daily report's arithmetic (`fleetctl report`): pure functions over a window of history.

``model`` (what the engine reads from history, and the report it becomes), ``availability``
(time-weighted up/down/unknown/unchecked seconds from status runs, outages, trend buckets),
``build`` (per site and fleet: statuses at the end, problems, clock drift, storage, firmware),
``export`` (the JSON document and CSV rows: the contract for scripts, English and stable).
May import only ``core.models`` and ``base``.
"""
