"""RTSP and RTP: our own client, reading what a camera's stream really carries.

``client`` (the stream probe: DESCRIBE, SETUP, PLAY, a counting window), ``wire`` and
``message`` (RTSP framing, interleaved data), ``recv`` (the receive path), ``rtp`` and
``rtp_header`` (packet and frame counting, keyframes, frozen pictures), ``sdp`` and ``sps``
(what the camera says it sends). May import ``adapters.http`` (Digest), ``core`` and ``base``.
"""
