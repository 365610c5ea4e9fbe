"""The simulated camera's RTSP server: ``server`` (RFC 2326 over TCP), ``auth`` (Digest, Basic
where offered), ``flavours`` (how each vendor's server looks), ``stream`` (the paced RTP sender),
``h264`` (the committed clips, packetized). Part of the simulator.
"""
