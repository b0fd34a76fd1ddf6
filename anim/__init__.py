"""Blender-side data layer: reads rigs and writes animation data.

This package translates between Blender data (objects, bones, actions) and the Blender-free maths in
``core``. It has no UI; operators, the batch CLI and the scripting API all bake through
:func:`anim.bake.bake_track`.
"""
