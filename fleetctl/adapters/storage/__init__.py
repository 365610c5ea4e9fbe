"""Recording storage as vendors expose it: vendor HTTP APIs (Hikvision ISAPI, Dahua CGI) and
``df`` over SSH on Linux recorders; and recorded footage through the same vendor APIs
(``vendor_search``: Hikvision ISAPI content search, Dahua media file finding) for cameras
without ONVIF Profile G search. May import ``adapters.http``, ``core`` and ``base``.
"""
