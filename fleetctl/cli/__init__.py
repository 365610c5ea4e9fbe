"""The command line: ``main`` (argparse, lazily importing each command), ``commands/`` (each
command's arguments), ``run/`` (each command's run function), ``render/`` and ``options``.
Imports the engine and core, never adapters.
"""
