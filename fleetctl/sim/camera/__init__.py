"""What one simulated camera is: ``model`` (``SimCamera``, the state every server reads and
mutates, and tests assert on), ``faults`` (the ``--faults`` specs and their effect on that state),
``history`` (what its card holds, with the gaps real cards have) and ``firmware`` (images and
upgrades). Part of the simulator: product code never imports it.
"""
