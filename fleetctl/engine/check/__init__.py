"""The health check: many cameras at once, each under its own deadline, never raising.

``runner`` (fan-out and the report), ``options`` (``CheckOptions``), ``probing`` (one camera's
probe sequence), ``side_probes`` (storage and security), ``camera_run`` (one camera's budget and
findings), ``admission`` (admitting CPU-heavy probes by the loop's lag), ``parallel`` (forked
workers, one per core).
May import ``adapters``, ``core`` and ``base``; front-ends call it.
"""
