"""Push: plan, then apply in batches, each camera a journaled transaction.

``session`` (one push, from the journal's opening to the rotation's aftermath: what both
front-ends drive), ``runner`` (plan and apply), ``outcome`` (results and records), ``journal``
(every write recorded before it is sent), ``rotate`` (two-phase password rotation), ``pending``
(rotations under way, read without the network), ``reboot`` (reboots with proof the camera
came back). May import ``adapters``, ``core``, ``base``, ``engine.check`` and
``engine.workspace``.
"""
