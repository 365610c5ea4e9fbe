"""ONVIF: the only code that speaks ONVIF SOAP to cameras.

``session`` holds one conversation with one camera (pinned addresses, timed calls, one clock
offset); ``soap`` the fixed, signed health requests read with lxml; ``parse`` turns replies into
probe records; ``client`` the health probe and login; ``config`` and ``users`` the reads and writes
of push and onboarding; ``zeep_client`` onvif-zeep-async for the wide calls; ``transport`` the
HTTP side (pool, capped reads); ``clock`` defensive time parsing; ``media2`` the ver20 media calls.
May import ``adapters.http``, ``core`` and ``base``.
"""
