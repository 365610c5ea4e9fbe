"""The terminal UI (Textual): ``app`` (the shell), ``screens/``, ``widgets/``, and the pure parts
Textual never sees (``state``, ``cells``, ``filtering``, ``push_view``, ``source``).
Imports the engine and core, never adapters.
"""
