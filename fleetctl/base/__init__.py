"""The bottom layer: process plumbing every layer may use, importing nothing of fleetctl.

``logsafe`` (logging setup, secret masking of every log record and traceback), ``aio`` (which
event loop runs: uvloop or asyncio), ``lang`` (the chosen language and its catalogue), ``i18n``
(gettext, messages with their values) and ``l10n`` (numbers, durations and dates for the
language, with Babel). Imports only the standard library, uvloop and Babel.
"""
