"""Push planning, pure: profiles (``profile``), what a profile would change on one camera
(``plan``), and rollout arithmetic (``rollout``: canary, batches, abort threshold).
May import the rest of ``core``; nothing with I/O.
"""
