"""First-time set-up of factory-fresh devices, per vendor (activation, first accounts, ONVIF).

``hikvision`` (ISAPI activation with the device's RSA/AES challenge, the ONVIF switch and user
list, RTSP authentication). May import ``core`` and ``base``.
"""
