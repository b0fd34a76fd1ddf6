"""Operators: thin translations from Blender state to core calls and back (no maths here)."""
