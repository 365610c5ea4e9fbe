"""The run functions of each command, imported only when that command runs (heavy imports live
here, not in ``cli.commands``, which only registers arguments). Parse, call the engine, render.
"""
