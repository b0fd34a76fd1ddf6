"""Rig stage: bone-name parsing, the table of rig naming conventions, head/neck/eye matching and the
joint-chain maths of a bake (rotation encodings, neck shares, the character frame)."""
