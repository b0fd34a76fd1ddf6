"""`make ui-images`: the README's pictures of the UI, from the screenshots `make test-ui` wrote in build/ui/.

    docs/images/ui_panel.png            the Head Motion sidebar as a user first meets it (character + voice)
    docs/images/ui_bake_in_progress.png  Bake From Video running: progress in the status bar, Esc to cancel
    docs/images/ui_result.png            the baked character in the viewport, its head keys in the timeline

Run by `make ui-images` after `make test-ui`; it only crops and scales (Pillow), so the pictures are exactly
what the window test saw.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def _content_height(image: Image.Image) -> int:
    """Rows down to the bottom of the panels: the last row whose left margin has the panels' background."""
    rgb = image.convert("RGB")
    background = rgb.getpixel((10, 130))  # left margin inside the Rig sub-panel
    for y in range(rgb.height - 1, 130, -1):
        if all(abs(a - b) <= 3 for a, b in zip(rgb.getpixel((10, y)), background, strict=True)):
            return min(rgb.height, y + 10)
    return rgb.height


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=Path, default=ROOT / "build" / "ui")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args(argv)
    missing = [n for n in ("panel.png", "bake_in_progress.png", "viewport_result.png") if not (args.shots / n).exists()]
    if missing:
        print(f"error: no {', '.join(missing)} in {args.shots}: run `make test-ui` first", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    panel = Image.open(args.shots / "panel.png").convert("RGB")
    panel = panel.crop((0, 0, panel.width, _content_height(panel)))
    panel.save(args.out / "ui_panel.png", optimize=True)
    for src, dst in (("bake_in_progress.png", "ui_bake_in_progress.png"), ("viewport_result.png", "ui_result.png")):
        image = Image.open(args.shots / src).convert("RGB")
        width = 1200
        image.resize((width, round(image.height * width / image.width)), Image.LANCZOS).save(
            args.out / dst, optimize=True)
    for name in ("ui_panel.png", "ui_bake_in_progress.png", "ui_result.png"):
        print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
