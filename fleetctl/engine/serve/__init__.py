"""Continuous monitoring (`fleetctl serve`): ``monitor`` (checks on a schedule, flap damping),
``metrics`` (Prometheus exposition), ``notify`` (webhook payloads), ``retention`` (the daily
history prune). May import ``adapters``, ``core``, ``base``, ``engine.check`` and ``engine.retention``.
"""
