"""The simulated fleet (`fleetctl sim`): a separate program that product code never imports.

``fleet`` (``SimFleet``) starts a whole fleet on loopback, each camera on its own 127.x address;
``sites`` says where the cameras hang, ``inventory`` writes what the fleet looks like, ``truth``
what a correct check must say about it, ``loop`` picks the event loop and ``http`` is the small
HTTP/1.1 server every camera's web face sits on. What a camera is made of, by folder:

- ``camera/``: its state (``model``: ``SimCamera``, shared by every server), its faults, its
  recording history and its firmware;
- ``onvif/`` and ``rtsp/``: its ONVIF SOAP and RTSP (real H.264) faces;
- ``vendors/``: what differs by vendor, the flavours cameras are built from and the vendors' own
  HTTP device sides (Hikvision activation, Dahua initialisation, Axis set-up, storage, search);
- ``discovery/``: the responders that let it be found (WS-Discovery, SADP, DHIP);
- ``recorder/``: a Linux recorder's SSH server and its shell.
"""
