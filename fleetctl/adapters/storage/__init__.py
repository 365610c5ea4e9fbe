"""Recording storage as vendors expose it: vendor HTTP APIs (Hikvision ISAPI, Dahua CGI) and
``df`` over SSH on Linux recorders. May import ``adapters.http``, ``core`` and ``base``.
"""
