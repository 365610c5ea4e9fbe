"""The simulated fleet (`fleetctl sim`): a separate program that product code never imports.

Each camera has its own 127.x address and speaks ONVIF SOAP (``onvif/``), RTSP with real H.264
(``rtsp/``), WS-Discovery (``discovery``), vendor storage APIs (``vendor_storage``), vendor
recording search (``vendor_search``: Hikvision ISAPI content search, Dahua mediaFileFind) and, for
recorders, SSH (``ssh``, ``recorder_shell``). ``fleet`` starts them, ``vendors`` and ``faults``
shape each camera, ``inventory`` writes what the fleet looks like.
"""
