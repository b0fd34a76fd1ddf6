"""Helpers shared by the test suites (no bpy at import time)."""
