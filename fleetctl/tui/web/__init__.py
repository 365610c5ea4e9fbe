"""`fleetctl tui --web`: the TUI served to a browser, one ``fleetctl tui`` process per session.

``guard`` holds the pure rules (token, origin, listen address); ``server`` is the aiohttp
application that applies them around textual-serve's session runner; ``page.html`` is the page,
whose every asset (script, style sheet, font) this server serves itself. Imports aiohttp and
textual-serve, and nothing of the engine.
"""
