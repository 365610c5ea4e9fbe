"""Finding devices: WS-Discovery (multicast and unicast Probes), the unicast sweep of ranges, and
the vendors' own discovery of factory-fresh devices (``sadp``: Hikvision; ``dhip``: Dahua;
``axis``: what an Axis says it is without credentials).

May import ``core`` and ``base``.
"""
