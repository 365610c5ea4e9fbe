"""Push: plan, then apply in batches, each camera a journaled transaction.

``runner`` (plan and apply), ``journal`` (every write recorded before it is sent), ``rotate``
(two-phase password rotation), ``pending`` (rotations under way, read without the network),
``reboot`` (reboots with proof the camera came back).
May import ``adapters``, ``core``, ``base`` and ``engine.check``.
"""
