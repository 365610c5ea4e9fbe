"""HTTP to cameras: a lean keep-alive client over llhttp, Digest, and a liveness probe.

``pool`` (``HttpPool``, the argument adapters take: the caller owns and closes it),
``client`` (the pool: pinning, caps, per-host socket limit), ``wire`` (one exchange's framing),
``digest`` (RFC 2617/7616, shared with RTSP), ``liveness`` (silent, trickling or answering).
May import ``core`` and ``base``.
"""
