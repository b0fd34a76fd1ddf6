"""Ground truth for the video head-pose estimator: a real face photograph on a 3D face mesh, rendered by Blender.

The face
    ``skimage.data.astronaut()``: NASA's portrait of the astronaut Eileen Collins, bundled in the
    scikit-image wheel (no download). NASA Great Images database (https://flic.kr/p/r9qvLn); scikit-image
    states "No known copyright restrictions, released into the public domain" (works of NASA are not
    copyrighted in the United States).

The mesh
    MediaPipe FaceMesh (``static_image_mode=True``, ``refine_landmarks=True``; run once, cached in
    :data:`FIXTURE` with the tessellation so the scene builds without mediapipe) on the photo gives 478
    landmarks: ``x``, ``y`` normalised image coordinates and ``z`` relative depth in the same units as
    ``x`` (image widths). The 468 face landmarks become the vertices (pixels -> model axes: +x the
    person's left, +y up, +z out of the face). A similarity transform (Umeyama: one scale, a rotation, a
    shift) fitted on the given rigid landmarks puts them onto a reference face (the estimator's canonical
    face in centimetres), so the mesh has a real head's size and its rest pose looks straight ahead
    (the photographed head's own small turn is taken out); the shape stays the photographed person's.
    Triangles: MediaPipe's own tessellation (``FACEMESH_TESSELATION``, edges turned into triangles), with
    the holes it leaves at the eyes and the mouth closed by fans. UVs are the landmarks' image
    coordinates, so the photo is the texture. Around the face oval, three rings of vertices, each
    further out and further back, textured with the photo around the face (hair, neck), make a simple
    head: FaceMesh places the forehead and temple landmarks clearly worse on a bare face mask.

The scene (Blender axes, metres)
    The face looks toward -Y, up +Z (the person's left is +X); the object's origin is the reference
    face's origin (about 7.5 cm behind the nose tip, the pivot of every turn). Emission shading (the photo
    carries its own lighting) on a plain grey world, "Standard" view transform so the photo's colours come
    out unchanged. A camera on -Y looks along +Y with a known horizontal field of view; Cycles on the
    CPU, a small square image, few samples, no denoiser.

Poses
    :func:`world_rotation` builds the world rotation of a head facing -Y for project-convention angles
    (yaw > 0 toward the person's left = +X, pitch > 0 chin up, roll > 0 top of the head toward the
    person's right = -X): ``Rz(yaw) @ R_{-X}(pitch) @ R_{-Y}(roll)``, the construction of
    ``tests/blender/rigs.expected_world_delta``. :func:`key_poses` gives the test poses (frontal, the
    single-axis extremes, random combinations per seed) and :func:`with_inbetweens` joins them by
    shortest-arc in-betweens at most :data:`MAX_STEP_DEG` apart, so a video moves the way a head does.

Expressions
    :func:`expression_offsets` moves the non-rigid parts of the face mesh (centimetres, model axes) for
    :data:`EXPRESSIONS`: ``mouth_open`` (the jaw, lower lip and chin turn 10 degrees down about a hinge
    near the ears), ``brows_up`` (the brows rise 5 mm, fading over 6 mm around them), ``smile`` (the mouth
    corners move 4.5 mm out and 3.5 mm up, fading over 12 mm, cheeks beside the mouth included) and
    ``blink`` (the upper lids close onto the lower ones, the skin above them following). The forehead, the
    nose bridge, the eye corners and the temples stay where they are: a head that does not turn must
    give the same pose whatever its face does. :func:`add_expressions` makes them shape keys and
    :func:`render_poses` shows one per frame.

``bpy`` is imported inside the functions that need it, so this module imports without Blender.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Pose limits of the ground truth: |yaw|, |pitch|, |roll| in degrees.
LIMITS = np.array([45.0, 30.0, 30.0])
#: Largest turn between two consecutive video frames (degrees) on the way from one key pose to the next.
MAX_STEP_DEG = 15.0

#: FaceMesh's face landmarks (the 10 iris landmarks after them are not used).
N_FACE_LANDMARKS = 468

#: Expressions the face can make (:func:`expression_offsets`), in the order of their shape keys.
EXPRESSIONS = ("mouth_open", "brows_up", "smile", "blink")
#: FaceMesh landmarks the expressions are built around (person's right / left).
_UPPER_LIP, _LOWER_LIP, _MOUTH_CORNERS = 13, 14, (61, 291)
_BROWS = (70, 63, 105, 66, 107, 46, 53, 52, 65, 55, 300, 293, 334, 296, 336, 276, 283, 282, 295, 285)
_EYES = ((33, 133, 159, 145), (263, 362, 386, 374))  # outer corner, inner corner, upper lid, lower lid
_NOSE_TIP = 4

#: Rings of head around the face oval: how much further out than the oval (fraction of its radius, in
#: the photo and on the mesh) and how far behind it (centimetres) each ring lies.
HEAD_RING_GROWTH = (0.12, 0.26, 0.40)
HEAD_RING_DEPTH_CM = (1.5, 4.5, 9.0)


@dataclass
class FacePhoto:
    """A face photograph and its FaceMesh landmarks.

    ``image``: (H, W, 3) uint8 RGB; ``landmarks``: (478, 3) FaceMesh output, ``x``, ``y`` in [0, 1] of the
    image width/height, ``z`` in image widths (smaller = nearer the camera).
    """

    image: np.ndarray
    landmarks: np.ndarray


@dataclass
class FaceGeometry:
    """The face mesh in Blender world coordinates (metres, face toward -Y, origin = pivot).

    ``vertices`` (V, 3), the first 468 being FaceMesh's landmarks (then the centres of the eyes and the
    mouth, then the head rings); ``triangles`` (F, 3) vertex indices, wound counter-clockwise as the
    camera sees the rest pose; ``uvs`` (V, 2) texture coordinates (origin bottom-left, like Blender's);
    ``fit_rms_cm``: RMS distance of the rigid landmarks to the reference face after the similarity fit
    (how far this person's face is from the reference shape).
    """

    vertices: np.ndarray
    triangles: np.ndarray
    uvs: np.ndarray
    fit_rms_cm: float


@dataclass
class FaceScene:
    """What :func:`build_scene` made: the scene, the face object, the camera, its horizontal FOV, the image side."""

    scene: object
    face: object
    camera: object
    fov_deg: float
    size: int


#: FaceMesh's data for the scene, cached so it builds without mediapipe (Python 3.13 has no wheel):
#: the astronaut photo's landmarks, the tessellation's edges and the face oval. ``python -m
#: tests.support.face_scene`` writes it from mediapipe; tests/core/test_face_scene_fixture.py checks it.
FIXTURE = Path(__file__).resolve().parent / "data" / "astronaut_facemesh.npz"


def facemesh_data() -> dict[str, np.ndarray]:
    """What the scene takes from MediaPipe FaceMesh, computed now (needs mediapipe 0.10.x):

    ``landmarks`` (478, 3) float64 of the astronaut photo (``static_image_mode=True``,
    ``refine_landmarks=True``; normalised x, y, z as :class:`FacePhoto`), ``tessellation`` (E, 2) int the
    sorted edges of ``FACEMESH_TESSELATION``, ``face_oval`` (E, 2) int the directed edges of
    ``FACEMESH_FACE_OVAL``."""
    from mediapipe.python.solutions import face_mesh
    from mediapipe.python.solutions.face_mesh_connections import FACEMESH_FACE_OVAL, FACEMESH_TESSELATION

    with face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=True) as mesh:
        result = mesh.process(_astronaut_image())
    if not result.multi_face_landmarks:
        raise RuntimeError("FaceMesh found no face in skimage.data.astronaut()")
    landmarks = np.array([(p.x, p.y, p.z) for p in result.multi_face_landmarks[0].landmark], dtype=np.float64)
    return {
        "landmarks": landmarks,
        "tessellation": np.array(sorted(tuple(sorted(e)) for e in FACEMESH_TESSELATION), dtype=np.int64),
        "face_oval": np.array(sorted(FACEMESH_FACE_OVAL), dtype=np.int64),
    }


def cached_facemesh_data() -> dict[str, np.ndarray]:
    """:func:`facemesh_data` as written to :data:`FIXTURE` (no mediapipe needed)."""
    with np.load(FIXTURE) as data:
        return {key: data[key] for key in data.files}


def _astronaut_image() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.astronaut()[:, :, :3])


def astronaut_photo() -> FacePhoto:
    """The astronaut photograph from scikit-image (public domain, see the module docs) and its landmarks."""
    return FacePhoto(_astronaut_image(), cached_facemesh_data()["landmarks"])


def _similarity(source: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Umeyama's least-squares ``(s, R, t)`` with ``s * R @ source_i + t ~= target_i`` (no reflection)."""
    mu_s, mu_t = source.mean(axis=0), target.mean(axis=0)
    a, b = source - mu_s, target - mu_t
    u, sigma, vt = np.linalg.svd(b.T @ a)
    d = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
    rotation = u @ d @ vt
    scale = float(np.sum(sigma * np.diag(d)) / np.sum(a * a))
    return scale, rotation, mu_t - scale * rotation @ mu_s


def _face_oval() -> np.ndarray:
    """FaceMesh's face-oval landmark indices in order around the face (a closed polygon)."""
    following = {int(a): int(b) for a, b in cached_facemesh_data()["face_oval"]}
    start = min(following)
    loop = [start]
    while following[loop[-1]] != start:
        loop.append(following[loop[-1]])
    return np.array(loop)


def _tessellation() -> tuple[np.ndarray, list[np.ndarray]]:
    """FaceMesh's triangles (F, 3) and the loops of its inner holes (eyes, mouth), from its edge list.

    ``FACEMESH_TESSELATION`` lists the edges of MediaPipe's canonical face mesh. Its triangles are the
    3-cycles of that graph, except a few "separating" 3-cycles whose three edges each border two real
    triangles already (an edge of a surface borders at most two). The boundary edges (bordering one
    triangle) form the outer face oval and the holes of the eyes and the mouth.
    """
    edges = {(int(a), int(b)) for a, b in cached_facemesh_data()["tessellation"]}
    neighbours: dict[int, set[int]] = {}
    for a, b in edges:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    cycles = sorted({tuple(sorted((a, b, c))) for a, b in edges for c in neighbours[a] & neighbours[b]})

    def edge_use(tris: list[tuple[int, int, int]]) -> dict[tuple[int, int], int]:
        use: dict[tuple[int, int], int] = {}
        for a, b, c in tris:
            for e in ((a, b), (a, c), (b, c)):
                use[e] = use.get(e, 0) + 1
        return use

    use = edge_use(cycles)
    triangles = [t for t in cycles if not all(use[e] > 2 for e in ((t[0], t[1]), (t[0], t[2]), (t[1], t[2])))]
    use = edge_use(triangles)
    if max(use.values()) > 2:
        raise RuntimeError("FaceMesh's tessellation did not resolve into a surface")
    # Orient the boundary edges consistently by walking them as loops.
    following: dict[int, list[int]] = {}
    for (a, b), n in use.items():
        if n == 1:
            following.setdefault(a, []).append(b)
            following.setdefault(b, []).append(a)
    loops, seen = [], set()
    for start in sorted(following):
        if start in seen:
            continue
        loop, previous, current = [start], None, start
        while True:
            seen.add(current)
            step = next(v for v in following[current] if v != previous)
            if step == start:
                break
            loop.append(step)
            previous, current = current, step
        loops.append(np.array(loop))
    oval = set(_face_oval().tolist())
    holes = [loop for loop in loops if not oval.issuperset(loop.tolist())]
    if len(holes) != len(loops) - 1:
        raise RuntimeError("FaceMesh's tessellation has an unexpected boundary")
    return np.array(triangles, dtype=np.int64), holes


def face_geometry(photo: FacePhoto, reference: np.ndarray, rigid: tuple[int, ...] | np.ndarray) -> FaceGeometry:
    """The photographed face as a mesh in world coordinates (see the module docs).

    ``reference``: (468, 3) face in model axes (+x person's left, +y up, +z out of the face), centimetres:
    the fit target for size and rest orientation; ``rigid``: the landmark indices fitted.
    """
    height, width = photo.image.shape[:2]
    lm = photo.landmarks[:N_FACE_LANDMARKS]
    # Pixels -> model axes: image right = person's left (+x), image down = -y, nearer (smaller z) = +z.
    model = np.column_stack([lm[:, 0] * width, -lm[:, 1] * height, -lm[:, 2] * width])
    idx = np.asarray(rigid, dtype=np.int64)
    ref = np.asarray(reference, dtype=np.float64)
    scale, rotation, shift = _similarity(model[idx], ref[idx])
    aligned = scale * model @ rotation.T + shift  # centimetres, reference face's frame
    fit_rms = float(np.sqrt(np.mean(np.sum((aligned[idx] - ref[idx]) ** 2, axis=1))))

    image_xy = lm[:, :2] * np.array([width, height])
    triangles, holes = _tessellation()
    # Close the eyes and the mouth (holes in FaceMesh's tessellation): a fan around each hole's centre.
    extra_points, extra_px = [], []
    for loop in holes:
        centre = N_FACE_LANDMARKS + len(extra_points)
        extra_points.append(aligned[loop].mean(axis=0))
        extra_px.append(image_xy[loop].mean(axis=0))
        triangles = np.vstack([triangles, np.column_stack([loop, np.roll(loop, -1), np.full(len(loop), centre)])])
    aligned = np.vstack([aligned, extra_points])
    image_xy = np.vstack([image_xy, extra_px])

    # The head around the face: rings of vertices outside the face oval, each further out and further
    # back, textured with the photo around the face (hair, neck), so FaceMesh sees a head, not a mask.
    ring = _face_oval()
    centre_px = image_xy[ring].mean(axis=0)
    centre_cm = aligned[ring, :2].mean(axis=0)
    points, uv_px, tris = [aligned], [image_xy], [triangles]
    previous = ring
    count = len(aligned)
    for grow, back in zip(HEAD_RING_GROWTH, HEAD_RING_DEPTH_CM, strict=True):
        xy = centre_cm + (aligned[ring, :2] - centre_cm) * (1.0 + grow)
        points.append(np.column_stack([xy, aligned[ring, 2] - back]))
        uv_px.append(centre_px + (image_xy[ring] - centre_px) * (1.0 + grow))
        current = count + np.arange(len(ring))
        nxt_prev, nxt_cur = np.roll(previous, -1), np.roll(current, -1)
        tris.append(np.column_stack([previous, current, nxt_cur]))
        tris.append(np.column_stack([previous, nxt_cur, nxt_prev]))
        previous = current
        count += len(ring)
    aligned = np.concatenate(points)
    uv = np.clip(np.concatenate(uv_px) / np.array([width, height]), 0.0, 1.0)

    # Model (x left, y up, z out) -> Blender world for a face looking at -Y: x -> +X, y -> +Z, z -> -Y.
    vertices = 0.01 * np.column_stack([aligned[:, 0], -aligned[:, 2], aligned[:, 1]])
    uvs = np.column_stack([uv[:, 0], 1.0 - uv[:, 1]])
    # Wind every triangle counter-clockwise in the photo (as the camera sees the face): the normals then
    # point out of the face (consistent normals for anyone who shades it).
    triangles = np.concatenate(tris).astype(np.int64)
    a, b, c = (uvs[triangles[:, k]] for k in range(3))
    clockwise = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]) < 0.0
    triangles[clockwise] = triangles[clockwise][:, ::-1]
    return FaceGeometry(vertices, triangles, uvs, fit_rms)


def _model_cm(geometry: FaceGeometry) -> np.ndarray:
    """The mesh's vertices back in model axes (+x left, +y up, +z out of the face), centimetres."""
    v = 100.0 * geometry.vertices
    return np.column_stack([v[:, 0], v[:, 2], -v[:, 1]])


def expression_offsets(geometry: FaceGeometry, name: str) -> np.ndarray:
    """(V, 3) displacement in metres (Blender world axes, rest pose) of every vertex for one expression.

    See the module docs; the eye and mouth fans' centres follow their holes, the head rings stay.
    """
    model = _model_cm(geometry)
    face = model[:N_FACE_LANDMARKS]
    d = np.zeros_like(face)
    if name == "mouth_open":
        mouth_y = 0.5 * (face[_UPPER_LIP, 1] + face[_LOWER_LIP, 1])
        weight = np.clip((mouth_y - face[:, 1]) / 0.3, 0.0, 1.0)  # 0 above the lips' parting, 1 from 3 mm below
        hinge = np.array([0.0, face[_NOSE_TIP, 1], face[_NOSE_TIP, 2] - 9.0])
        a = math.radians(10.0)  # chin down and back: the front (+z) turns toward -y
        c, s = math.cos(a), math.sin(a)
        rel = face - hinge
        turned = np.column_stack([rel[:, 0], c * rel[:, 1] - s * rel[:, 2], s * rel[:, 1] + c * rel[:, 2]])
        d = (turned - rel) * weight[:, None]
    elif name == "brows_up":
        brows = face[list(_BROWS)]
        dist = np.min(np.linalg.norm(face[:, None, :] - brows[None], axis=2), axis=1)
        d[:, 1] = 0.5 * np.exp(-0.5 * (dist / 0.6) ** 2)
    elif name == "smile":
        for corner, side in zip(_MOUTH_CORNERS, (-1.0, 1.0), strict=True):
            weight = np.exp(-0.5 * (np.linalg.norm(face - face[corner], axis=1) / 1.2) ** 2)
            d += weight[:, None] * np.array([0.45 * side, 0.35, -0.1])
    elif name == "blink":
        for outer, inner, upper, lower in _EYES:
            centre_x = 0.5 * (face[outer, 0] + face[inner, 0])
            half_width = 0.5 * abs(face[outer, 0] - face[inner, 0])
            across = np.clip(1.0 - ((face[:, 0] - centre_x) / half_width) ** 2, 0.0, 1.0)
            low, high = face[lower, 1], face[upper, 1]
            y = face[:, 1]
            inside = (y >= low) & (y <= high)
            above = y > high
            dy = np.zeros(len(face))
            dy[inside] = -(y[inside] - low)  # the opening closes onto the lower lid
            dy[above] = -(high - low) * np.exp(-0.5 * ((y[above] - high) / 0.5) ** 2)  # the lid skin follows
            near = np.abs(face[:, 2] - face[upper, 2]) < 1.5  # this eye's front, not the far side of the head
            d[:, 1] += np.where(near, dy * across, 0.0)
    else:
        raise ValueError(f"unknown expression {name!r}; use one of {', '.join(EXPRESSIONS)}")
    offsets = np.zeros_like(model)
    offsets[:N_FACE_LANDMARKS] = d
    _, holes = _tessellation()
    for k, loop in enumerate(holes):
        offsets[N_FACE_LANDMARKS + k] = d[loop].mean(axis=0)
    return 0.01 * np.column_stack([offsets[:, 0], -offsets[:, 2], offsets[:, 1]])


def add_expressions(face_scene: FaceScene, geometry: FaceGeometry) -> None:
    """Give the face one shape key per expression (:data:`EXPRESSIONS`), all at 0."""
    face = face_scene.face
    face.shape_key_add(name="Basis", from_mix=False)
    for name in EXPRESSIONS:
        key = face.shape_key_add(name=name, from_mix=False)
        key.data.foreach_set("co", (geometry.vertices + expression_offsets(geometry, name)).astype(np.float32).ravel())
        key.value = 0.0


def world_rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """World rotation (3, 3) of a head facing -Y (Z up) for project-convention angles in degrees."""

    def about(axis: tuple[float, float, float], degrees: float) -> np.ndarray:
        x, y, z = axis
        a = math.radians(degrees)
        c, s, t = math.cos(a), math.sin(a), 1.0 - math.cos(a)
        return np.array([
            [c + t * x * x, t * x * y - s * z, t * x * z + s * y],
            [t * x * y + s * z, c + t * y * y, t * y * z - s * x],
            [t * x * z - s * y, t * y * z + s * x, c + t * z * z],
        ])  # fmt: skip

    return about((0.0, 0.0, 1.0), yaw) @ about((-1.0, 0.0, 0.0), pitch) @ about((0.0, -1.0, 0.0), roll)


def key_poses(seeds: tuple[int, ...], n_random: int = 23) -> tuple[np.ndarray, np.ndarray]:
    """(N, 3) yaw, pitch, roll in degrees and (N,) the seed set of each pose (-1: shared by all sets).

    Frontal first, then the single-axis extremes (shared), then ``n_random`` random combinations inside
    :data:`LIMITS` per seed.
    """
    single = [[0.0, 0.0, 0.0]]
    for axis, limit in enumerate(LIMITS):
        for sign in (1.0, -1.0):
            pose = [0.0, 0.0, 0.0]
            pose[axis] = sign * limit
            single.append(pose)
    poses, sets = [np.array(single)], [np.full(len(single), -1)]
    for k, seed in enumerate(seeds):
        poses.append(np.random.default_rng(seed).uniform(-LIMITS, LIMITS, size=(n_random, 3)))
        sets.append(np.full(n_random, k))
    return np.vstack(poses), np.concatenate(sets)


def _slerp(q0: np.ndarray, q1: np.ndarray, t: float) -> np.ndarray:
    if np.dot(q0, q1) < 0.0:
        q1 = -q1
    angle = math.acos(min(1.0, float(np.dot(q0, q1))))
    if angle < 1e-9:
        return q0
    return (math.sin((1.0 - t) * angle) * q0 + math.sin(t * angle) * q1) / math.sin(angle)


def with_expressions(
    angles: np.ndarray, key_frames: np.ndarray, hold: int = 2
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """The frames of :func:`with_inbetweens` with every key pose held while the face is neutral, then makes
    each of :data:`EXPRESSIONS` in turn, each for ``hold`` frames: (M, 3) angles, (M,) expression per frame
    ("" for none) and (K,) the last neutral frame of each key pose (expression ``e`` of
    :data:`EXPRESSIONS` is shown ``hold`` frames later than expression ``e - 1``, the first ``hold`` frames
    after it)."""
    frames, names, keys = [], [], []
    is_key = np.zeros(len(angles), dtype=bool)
    is_key[key_frames] = True
    for pose, key in zip(angles, is_key, strict=True):
        for name in ("", *EXPRESSIONS) if key else ("",):
            for _ in range(hold if key else 1):
                frames.append(pose)
                names.append(name)
            if key and name == "":
                keys.append(len(frames) - 1)
    return np.array(frames), names, np.array(keys)


def with_inbetweens(rotation, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All video frames' angles (M, 3) and the frame index of each key pose: shortest-arc in-betweens.

    ``rotation``: the extension's ``core.rotation`` module (as the caller imported it).
    """
    quats = rotation.quat_from_matrix(rotation.character_rotation(keys[:, 0], keys[:, 1], keys[:, 2]))
    frames, key_frames = [keys[0]], [0]
    for i in range(1, len(keys)):
        turn = math.degrees(2.0 * math.acos(min(1.0, abs(float(np.dot(quats[i - 1], quats[i]))))))
        steps = max(1, math.ceil(turn / MAX_STEP_DEG))
        for s in range(1, steps):
            m = rotation.matrix_from_quat(_slerp(quats[i - 1], quats[i], s / steps))
            frames.append(np.array([float(a) for a in rotation.character_angles(m)]))
        key_frames.append(len(frames))
        frames.append(keys[i])
    return np.array(frames), np.array(key_frames)


def from_median_pose(video, angles: np.ndarray) -> np.ndarray:
    """True angles (M, 3), measured from the frontal pose, re-measured from the geodesic median of all frames' true
    rotations: the conversion the estimator makes with its own readings at its default ``neutral="median"``
    (``core.video.neutral.median_rotation`` and ``relative_angles``).

    ``video``: the extension's ``core.video`` package (as the caller imported it).
    """
    rotations = np.stack([video.head_pose.angles_to_camera_rotation(*row) for row in angles])
    every = np.ones(len(rotations), dtype=bool)
    return video.neutral.relative_angles(rotations, every, video.neutral.median_rotation(rotations), False)


def _node_tree(owner):
    """The owner's shader node tree (turning nodes on where Blender < 5 starts without them)."""
    if owner.node_tree is None:
        owner.use_nodes = True
    return owner.node_tree


def _texture_image(photo: FacePhoto, name: str):
    import bpy

    height, width = photo.image.shape[:2]
    image = bpy.data.images.new(name, width, height, alpha=False)
    rgba = np.concatenate([photo.image[::-1], np.full((height, width, 1), 255, np.uint8)], axis=2)
    image.pixels.foreach_set((rgba.astype(np.float32) / 255.0).ravel())
    return image


def build_scene(
    scene,
    photo: FacePhoto,
    geometry: FaceGeometry,
    fov_deg: float = 40.0,
    size: int = 256,
    samples: int = 8,
    distance: float = 0.55,
    background: float = 0.25,
) -> FaceScene:
    """Put the textured face, a grey world and the camera into ``scene`` and set up Cycles (CPU).

    ``fov_deg``: the camera's horizontal field of view; ``size``: the square image's side in pixels;
    ``distance``: camera to pivot in metres (0.55 m with 40 degrees: the face is about 40% of the
    frame wide); ``background``: the world's grey (linear).
    """
    import bpy

    mesh = bpy.data.meshes.new("GroundTruthFace")
    mesh.from_pydata([tuple(v) for v in geometry.vertices], [], [tuple(int(i) for i in t) for t in geometry.triangles])
    uv_layer = mesh.uv_layers.new(name="Photo")
    corner_vertices = np.zeros(len(mesh.loops), dtype=np.int64)
    mesh.loops.foreach_get("vertex_index", corner_vertices)
    uv_layer.data.foreach_set("uv", geometry.uvs[corner_vertices].astype(np.float32).ravel())
    mesh.validate()
    mesh.update()

    material = bpy.data.materials.new("GroundTruthFacePhoto")
    tree = _node_tree(material)
    tree.nodes.clear()
    texture = tree.nodes.new("ShaderNodeTexImage")
    texture.image = _texture_image(photo, "GroundTruthFacePhoto")
    texture.interpolation = "Linear"
    emission = tree.nodes.new("ShaderNodeEmission")
    emission.inputs["Strength"].default_value = 1.0
    output = tree.nodes.new("ShaderNodeOutputMaterial")
    tree.links.new(texture.outputs["Color"], emission.inputs["Color"])
    tree.links.new(emission.outputs["Emission"], output.inputs["Surface"])
    mesh.materials.append(material)

    face = bpy.data.objects.new("GroundTruthFace", mesh)
    face.rotation_mode = "QUATERNION"
    scene.collection.objects.link(face)

    world = scene.world or bpy.data.worlds.new("GroundTruthWorld")
    scene.world = world
    world_tree = _node_tree(world)
    world_tree.nodes.clear()
    back = world_tree.nodes.new("ShaderNodeBackground")
    back.inputs["Color"].default_value = (background, background, background, 1.0)
    back.inputs["Strength"].default_value = 1.0
    world_out = world_tree.nodes.new("ShaderNodeOutputWorld")
    world_tree.links.new(back.outputs["Background"], world_out.inputs["Surface"])

    cam_data = bpy.data.cameras.new("GroundTruthCamera")
    cam_data.sensor_fit = "HORIZONTAL"
    cam_data.sensor_width = 36.0
    cam_data.lens = 0.5 * cam_data.sensor_width / math.tan(math.radians(0.5 * fov_deg))
    cam_data.clip_start = 0.01
    camera = bpy.data.objects.new("GroundTruthCamera", cam_data)
    scene.collection.objects.link(camera)
    camera.location = (0.0, -distance, 0.0)
    camera.rotation_euler = (math.pi / 2, 0.0, 0.0)  # looks along +Y, up +Z
    scene.camera = camera

    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = samples
    scene.cycles.use_denoising = False
    scene.cycles.use_adaptive_sampling = False
    scene.cycles.max_bounces = 0
    scene.render.resolution_x = scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.render.pixel_aspect_x = scene.render.pixel_aspect_y = 1.0
    scene.render.film_transparent = False
    scene.render.use_motion_blur = False
    scene.render.use_persistent_data = True
    scene.view_settings.view_transform = "Standard"
    scene.view_settings.look = "None"
    scene.view_settings.exposure = 0.0
    scene.view_settings.gamma = 1.0
    return FaceScene(scene, face, camera, float(fov_deg), int(size))


def render_poses(
    face_scene: FaceScene, angles: np.ndarray, folder: Path, expressions: list[str] | None = None
) -> list[Path]:
    """Render the face at each ``(yaw, pitch, roll)`` (degrees, rows of ``angles``) to PNGs in ``folder``.

    The poses are keyed on frames 1..N and rendered as one animation (Cycles keeps its scene data
    between frames). ``expressions``: per frame, one of :data:`EXPRESSIONS` or ``""`` for none (needs
    :func:`add_expressions`). Returns the PNG paths in pose order.
    """
    import bpy
    from mathutils import Matrix

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    scene, face = face_scene.scene, face_scene.face
    angles = np.asarray(angles, dtype=np.float64).reshape(-1, 3)
    for frame, (yaw, pitch, roll) in enumerate(angles, start=1):
        face.rotation_quaternion = Matrix(world_rotation(yaw, pitch, roll).tolist()).to_quaternion()
        face.keyframe_insert("rotation_quaternion", frame=frame)
        if expressions is not None:
            for block in face.data.shape_keys.key_blocks[1:]:
                block.value = 1.0 if block.name == expressions[frame - 1] else 0.0
                block.keyframe_insert("value", frame=frame)
    scene.frame_start, scene.frame_end = 1, len(angles)
    render = scene.render
    render.image_settings.file_format = "PNG"
    render.image_settings.color_mode = "RGB"
    render.image_settings.color_depth = "8"
    render.use_file_extension = True
    render.filepath = str(folder / "pose_####")
    bpy.ops.render.render(animation=True, scene=scene.name)
    return [folder / f"pose_{frame:04d}.png" for frame in range(1, len(angles) + 1)]


if __name__ == "__main__":
    # Refresh the fixture (Python 3.11 with mediapipe 0.10.21): python -m tests.support.face_scene
    FIXTURE.parent.mkdir(exist_ok=True)
    np.savez_compressed(FIXTURE, **facemesh_data())
    print(f"wrote {FIXTURE}")
