"""First-time set-up of factory-fresh devices, per vendor (activation, first accounts, ONVIF).

``hikvision`` (ISAPI activation with the device's RSA/AES challenge, the ONVIF switch and user
list, RTSP authentication; the flows' crypto in ``hikvision_activation``, the documented one, and
``hikvision_v3``, the newer), ``dahua`` (initialisation over ``/OutsideCmd`` with the account
sealed under the device's RSA key, the ONVIF service and its users), ``axis`` (the first
administrator); ``session`` is what they share: the errors and the administrator's Digest call,
sent once.
May import ``core`` and ``base``.
"""
