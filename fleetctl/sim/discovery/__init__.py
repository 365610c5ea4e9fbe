"""How simulated cameras are found: the responders, one UDP socket per camera on its own address
plus one joined to the multicast group on loopback. ``wsdiscovery`` (WS-Discovery Probes, every
camera), ``sadp`` (Hikvision's discovery) and ``dhip`` (Dahua's), which factory-fresh cameras
answer. Part of the simulator: product code never imports it.
"""
