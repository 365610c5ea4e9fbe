"""Verdict rules: probe observations plus a Policy give a status and problems. Pure.

``rules`` (the health verdict of one camera), ``media`` (stream, storage, security), ``text``
(shared words and arithmetic). May import the rest of ``core``; nothing with I/O.
"""
