"""The data model stored in .blend files: Head Motion's property groups (``Scene.head_motion``,
``Object.head_motion``) and their conversion to the core's settings (motion spec, bake options, video
estimation settings). Panels and operators read settings through here; nothing here draws or runs."""
