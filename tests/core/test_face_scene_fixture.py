"""The cached FaceMesh data of the ground-truth scene (tests/support/data) is what mediapipe gives now."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support import face_scene

pytest.importorskip("skimage")


def test_fixture_matches_mediapipe() -> None:
    pytest.importorskip("mediapipe.python.solutions.face_mesh")
    cached = face_scene.cached_facemesh_data()
    fresh = face_scene.facemesh_data()
    assert sorted(cached) == sorted(fresh) == ["face_oval", "landmarks", "tessellation"]
    np.testing.assert_array_equal(cached["tessellation"], fresh["tessellation"])
    np.testing.assert_array_equal(cached["face_oval"], fresh["face_oval"])
    # 1e-4 of the 512-pixel photo is 0.05 pixel: room for another CPU's float rounding, nothing more.
    np.testing.assert_allclose(cached["landmarks"], fresh["landmarks"], atol=1e-4)


def test_scene_geometry_builds_from_the_fixture() -> None:
    """The mesh is made from the cached data alone: a closed-up face surface over all 468 landmarks."""
    from core.video import face_model

    photo = face_scene.astronaut_photo()
    geometry = face_scene.face_geometry(photo, face_model.canonical_face(), face_model.RIGID_LANDMARKS)
    assert photo.landmarks.shape == (478, 3)
    assert geometry.vertices.shape[0] > 468 and geometry.triangles.max() < geometry.vertices.shape[0]
    assert set(np.unique(geometry.triangles[:, :]).tolist()) >= set(range(468))
    assert geometry.fit_rms_cm < 1.0
