"""What differs by vendor on a simulated camera: ``flavours`` (identity, services, accounts, the
factory that builds a healthy ``SimCamera``) and the vendors' own HTTP device sides, served
beside ONVIF by ``onvif/app``: ``hikvision`` (ISAPI activation, the ONVIF switch and users,
lockout) and ``hikvision_v3`` (the newer activation), ``dahua`` (initialisation over
``/OutsideCmd``, the ONVIF service and its users), ``axis`` (the first administrator),
``storage`` (disk health) and ``search`` (recording search: ISAPI, mediaFileFind). Part of the
simulator: product code never imports it.
"""
