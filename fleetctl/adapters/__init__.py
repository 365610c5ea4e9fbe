"""Adapters: the only code that speaks to devices and the outside (ONVIF, RTSP, HTTP, SSH,
WS-Discovery, webhooks) and reads secrets.

``onvif/``, ``rtsp/``, ``http/``, ``discovery/``, ``storage/``, plus ``reach`` (one timed TCP
connect), ``secrets`` (the secrets file), ``factory`` (vendors' factory logins), ``webhook`` and
``errors`` (the one error family, ``AdapterError(failure, message)``, drawn as a tree there).
Each turns library errors into values at its boundary. May import ``core`` and ``base``.
"""
