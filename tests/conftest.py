"""Shared fixtures. Network traffic stays on 127.0.0.0/8."""

from __future__ import annotations
