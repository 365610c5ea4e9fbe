"""fleetctl: keep large fleets of IP security cameras healthy."""

__version__ = "0.1.0"
