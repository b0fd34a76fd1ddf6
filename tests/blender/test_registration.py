"""The extension registers through Blender's extension machinery and unregisters cleanly."""

from __future__ import annotations

import bpy
from conftest import PACKAGE


def _ops_names() -> set[str]:
    return set(dir(bpy.ops.head_motion))


def test_enabled_as_extension(ext):
    assert ext.__name__ == PACKAGE
    assert PACKAGE in bpy.context.preferences.addons
    assert hasattr(bpy.types.Scene, "head_motion")
    assert hasattr(bpy.types.Object, "head_motion")
    for op in ("generate_bake", "bake_file", "export_track", "clear", "detect_bones"):
        assert op in _ops_names()
        bpy.ops.head_motion.__getattr__(op).get_rna_type()


def test_sidebar_tab_has_panels(ext):
    panels = [getattr(bpy.types, cls.__name__, None) for cls in ext.registration.registered_classes()
              if issubclass(cls, bpy.types.Panel)]
    assert panels and all(p is not None for p in panels)
    assert {p.bl_category for p in panels} == {"Head Motion"}
    assert {p.bl_space_type for p in panels} == {"VIEW_3D"}


def test_register_unregister_register_leaves_nothing_behind(ext):
    classes = ext.registration.registered_classes()
    ext.unregister()
    try:
        assert not hasattr(bpy.types.Scene, "head_motion")
        assert not hasattr(bpy.types.Object, "head_motion")
        for cls in classes:
            assert not cls.is_registered, cls.__name__
            assert getattr(bpy.types, cls.__name__, None) is None, cls.__name__
        assert not any(name in dir(bpy.ops.head_motion) for name in ("generate_bake", "clear"))
    finally:
        ext.register()
    assert all(cls.is_registered for cls in classes)
    ext.unregister()
    ext.register()
    assert all(cls.is_registered for cls in classes)
    assert hasattr(bpy.types.Scene, "head_motion")


def test_disable_and_enable_through_preferences(ext):
    bpy.ops.preferences.addon_disable(module=PACKAGE)
    assert PACKAGE not in bpy.context.preferences.addons
    assert not hasattr(bpy.types.Scene, "head_motion")
    bpy.ops.preferences.addon_enable(module=PACKAGE)
    assert PACKAGE in bpy.context.preferences.addons
    assert hasattr(bpy.types.Scene, "head_motion")


def test_settings_survive_save_and_reload(ext, empty_scene, tmp_path):
    empty_scene.head_motion.intensity = 1.7
    empty_scene.head_motion.seed = 42
    obj = bpy.data.objects.new("Rig", bpy.data.armatures.new("Rig"))
    empty_scene.collection.objects.link(obj)
    obj.head_motion.facing = "+Y"
    path = tmp_path / "settings.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.ops.wm.open_mainfile(filepath=str(path))
    scene = bpy.context.scene
    assert abs(scene.head_motion.intensity - 1.7) < 1e-6
    assert scene.head_motion.seed == 42
    assert bpy.data.objects["Rig"].head_motion.facing == "+Y"
