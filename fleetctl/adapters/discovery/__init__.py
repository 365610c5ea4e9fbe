"""Finding devices: WS-Discovery (multicast and unicast Probes) and the unicast sweep of ranges.

May import ``core`` and ``base``.
"""
