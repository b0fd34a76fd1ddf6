"""Blender UI of Head Motion: settings property groups and the sidebar panels."""
