"""The simulated camera's ONVIF face: SOAP plumbing (``soap``), authentication as cameras do it
(``auth``), the HTTP dispatch (``app``) and the services (``device``, ``network``, ``media``,
``recording``). Part of the simulator: product code never imports it.
"""
