"""First-time set-up of factory-fresh devices, per vendor (activation, first accounts, ONVIF).

``hikvision`` (ISAPI activation with the device's RSA/AES challenge, the ONVIF switch and user
list, RTSP authentication), ``dahua`` (initialisation over ``/OutsideCmd`` with the account sealed
under the device's RSA key, the ONVIF service and its users), ``axis`` (the first administrator).
May import ``core`` and ``base``.
"""
