"""Helpers shared by the tests: simulator clients, RTP packet builders, push and TUI set-ups."""
