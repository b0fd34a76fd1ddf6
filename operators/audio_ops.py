"""Import a voice recording: decode it, add a sound strip, set the frame range, use it for the motion."""

from __future__ import annotations

import bpy
import numpy as np
from bpy.props import BoolProperty, IntProperty, StringProperty
from bpy_extras.io_utils import ImportHelper

from ..anim import audio
from ..anim.bake import scene_fps
from ..core.media import MEDIA_EXTENSIONS
from ..core.motion.speech import frames_for_audio, require_speech
from ..core.voice.vad import speech_mask_from_audio
from .base import report_errors


class HEADMOTION_OT_import_voice(bpy.types.Operator, ImportHelper):
    """Import a voice recording (audio, or the sound of a video) to drive the head motion: the head moves
    while the person talks, settles in the pauses and nods on stressed syllables"""

    bl_idname = "head_motion.import_voice"
    bl_label = "Import Voice"
    bl_options = {"REGISTER", "UNDO"}

    filter_glob: StringProperty(default=";".join(f"*{e}" for e in MEDIA_EXTENSIONS), options={"HIDDEN"})
    start_frame: IntProperty(name="Start Frame", description="Frame where the voice starts playing", default=1)
    add_sound_strip: BoolProperty(name="Add Sound Strip",
                                  description="Add the sound to the sequencer so it plays in sync", default=True)
    set_frame_range: BoolProperty(name="Set Frame Range",
                                  description="Make the scene's frame range the length of the voice", default=True)

    def invoke(self, context, event) -> set[str]:
        self.start_frame = context.scene.frame_start
        return super().invoke(context, event)

    def execute(self, context) -> set[str]:
        scene = context.scene

        def run() -> str:
            clip = audio.load_voice(self.filepath)  # raises (changing nothing) if it cannot be read; kept for Generate
            fps = scene_fps(scene)
            n_frames = frames_for_audio(clip, fps)
            speech = speech_mask_from_audio(clip, fps=fps, n_frames=n_frames)
            require_speech(speech, clip)
            strip = audio.place_audio(scene, self.filepath, self.start_frame, n_frames,
                                      add_strip=self.add_sound_strip, set_frame_range=self.set_frame_range)
            s = scene.head_motion
            if strip is not None:
                s.voice_input, s.voice_strip = "STRIP", strip.name
            else:
                s.voice_input = "FILE"
                s.voice_path, s.voice_start_frame = self.filepath, self.start_frame
            if s.silence_source == "NONE":
                s.silence_source = "VOICE"
            note = "" if strip is not None or not self.add_sound_strip else (
                " (this Blender build has no audio: no sound strip added)")
            return (f"Head Motion: voice {clip.duration_s:.1f} s ({n_frames} frames), "
                    f"speech {100.0 * float(np.mean(speech)):.0f}% of the time{note}")

        return report_errors(self, run)


CLASSES: tuple[type, ...] = (HEADMOTION_OT_import_voice,)
