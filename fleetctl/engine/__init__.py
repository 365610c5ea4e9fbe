"""The engine: fan-out, deadlines, retries, scheduling, journals and history.

``check/``, ``push/``, ``onboard/``, ``serve/``, plus ``discover``, ``history`` (the SQLite
store), ``actions`` (one-shot bulk actions), ``footage`` (who recorded a window),
``footage_export`` (one camera's window as MP4), ``footage_batch`` (many cameras' clips, a few at
a time, resumable) and ``workspace`` (an inventory with its secrets).
Calls ``adapters``; never imports a network library itself. Front-ends call it.
"""
