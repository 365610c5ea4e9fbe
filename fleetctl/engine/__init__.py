"""The engine: fan-out, deadlines, retries, scheduling, journals and history.

``check/``, ``push/``, ``onboard/``, ``serve/``, plus ``discover``, ``history`` (the SQLite
store), ``actions`` (one-shot bulk actions) and ``workspace`` (an inventory with its secrets).
Calls ``adapters``; never imports a network library itself. Front-ends call it.
"""
