"""Continuous monitoring (`fleetctl serve`): ``monitor`` (checks on a schedule, flap damping),
``metrics`` (Prometheus exposition), ``notify`` (webhook payloads).
May import ``adapters``, ``core``, ``base`` and ``engine.check``.
"""
