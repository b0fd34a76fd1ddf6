"""Blender-free maths of Head Motion.

Everything in this package is pure Python + numpy (plus optional ML libraries imported lazily inside
the functions that need them). It never imports ``bpy`` or ``mathutils`` and uses relative imports
only, so it can be tested and reused without Blender.
"""
