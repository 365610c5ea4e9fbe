"""The simulated Linux recorder's SSH face: ``ssh`` (the asyncssh server: password and key logins,
exec requests, a tiny interactive shell) and ``shell`` (the busybox-shaped commands it runs, pure
functions of the camera's state). Part of the simulator: product code never imports it.
"""
