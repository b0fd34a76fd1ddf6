"""PNG plot of a pose track: yaw, pitch and roll (degrees) over time, silent stretches shaded.

Development/demo tool (uses matplotlib from the dev environment; never shipped in the extension).
``python tools/plot_track.py track.csv plot.png``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def silent_spans(speech: np.ndarray, threshold: float = 0.5) -> list[tuple[int, int]]:
    """(first, last+1) frame indices of every run where ``speech`` is below ``threshold``."""
    silent = np.concatenate([[False], np.asarray(speech) < threshold, [False]])
    edges = np.flatnonzero(np.diff(silent.astype(np.int8)))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def _draw(ax, track, title: str) -> None:
    t = np.arange(len(track)) / track.fps
    if track.speech is not None:
        for i, (a, b) in enumerate(silent_spans(track.speech)):
            ax.axvspan(a / track.fps, b / track.fps, color="0.88", label="silence" if i == 0 else None)
    for values, name, color in ((track.yaw, "yaw", "tab:blue"), (track.pitch, "pitch", "tab:orange"),
                                (track.roll, "roll", "tab:green")):
        ax.plot(t, values, color=color, lw=1.4, label=name)
    ax.axhline(0.0, color="0.5", lw=0.6)
    ax.set_ylabel("degrees")
    ax.set_title(title, fontsize=10)
    ax.set_xlim(0, t[-1] if len(t) > 1 else 1)
    ax.legend(loc="upper right", ncols=4, fontsize=8)


def plot_tracks(tracks: list, path: Path, title: str = "Head motion") -> Path:
    """Write one panel per track (core.track.PoseTrack; label from ``meta["demo_label"]``) to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(tracks), 1, figsize=(10, 2.6 * len(tracks) + 0.6), dpi=110, sharex=True,
                             squeeze=False)
    for ax, track in zip(axes[:, 0], tracks, strict=True):
        _draw(ax, track, track.meta.get("demo_label", ""))
    axes[-1, 0].set_xlabel("time (s)")
    fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_track(track, path: Path, title: str = "Head motion") -> Path:
    """Write the plot of one track to ``path``; returns the path."""
    track.meta.setdefault("demo_label", title)
    return plot_tracks([track], path, title)


def main(argv: list[str]) -> int:
    from core.track import PoseTrack

    if len(argv) != 2:
        print(__doc__)
        return 2
    plot_track(PoseTrack.load(argv[0]), Path(argv[1]), title=Path(argv[0]).stem)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
