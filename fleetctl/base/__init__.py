"""The bottom layer: process plumbing every layer may use, importing nothing of fleetctl.

``logsafe`` (logging setup, secret masking of every log record and traceback) and ``aio`` (which
event loop runs: uvloop or asyncio). Imports only the standard library and uvloop.
"""
