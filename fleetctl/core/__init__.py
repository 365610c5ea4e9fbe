"""The core: pure values and rules, no I/O, no network or UI library (an import-linter contract).

``models`` (frozen dataclasses: cameras, reports, problems, policy), ``inventory/`` (schema,
loading, writes), ``verdicts/`` (probe results to status and problems), ``push/`` (profiles,
plans, rollout), ``selection`` (the ``--select`` and ``/`` filter language), ``probes`` (what
probes measured), ``damping``, ``errors`` (the exception tree), ``exitcodes``, ``secret``,
``atomicfile``. May import only ``base``.
"""
