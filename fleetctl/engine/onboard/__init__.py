"""Onboarding: take new devices into the fleet, one named, resumable step at a time.

``runner`` (the run over many devices), ``steps`` (one device's steps: the login, then
``account`` and ``commission``: baseline, verify, inventory), ``model`` (options, outcomes and
pure decisions), ``writes`` (group-committed inventory writes), the vendor set-ups
before any login (``activate``: Hikvision and Axis; ``dahua``; ``shared``: what they share).
May import ``adapters``, ``core``, ``base`` and the rest of ``engine``.
"""
