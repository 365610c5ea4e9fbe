"""Rendering for the CLI: ``common`` (a table, JSON or CSV from the same rows) and ``check``
(check reports as table, JSON, CSV, Nagios; history timelines). Pure functions to text.
"""
