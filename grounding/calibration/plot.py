"""Reliability diagram of the grounding scores before and after temperature scaling (PNG, Agg backend)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from grounding.calibration.ece import ECE_BINS, expected_calibration_error, reliability_bins
from grounding.calibration.fit import top_choice_calibration
from grounding.calibration.temperature import softmax_t


def plot_reliability(
    logits: Sequence[np.ndarray], targets: Sequence[int], temperature: float, path: str | Path
) -> Path:
    """Write a two-panel reliability diagram (T = 1 and the fitted T) to ``path``; returns it.

    ``logits[q]`` (K_q + 1,) with "none" last, ``targets[q]`` in [0, K_q] as in ``calibrate``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), sharey=True)
    for ax, t, name in zip(
        axes, (1.0, temperature), ("uncalibrated (T = 1)", f"temperature T = {temperature:.2f}"), strict=True
    ):
        conf, ok = top_choice_calibration([softmax_t(z, t) for z in logits], targets)
        bins = reliability_bins(conf, ok, ECE_BINS)
        centers = (bins.edges[:-1] + bins.edges[1:]) / 2
        filled = bins.count > 0
        width = 1.0 / ECE_BINS
        ax.bar(centers[filled], bins.accuracy[filled], width=width * 0.9, color="#4c72b0", label="accuracy")
        ax.bar(
            centers[filled],
            bins.confidence[filled] - bins.accuracy[filled],
            bottom=bins.accuracy[filled],
            width=width * 0.9,
            color="#dd8452",
            alpha=0.5,
            label="gap to confidence",
        )
        ax.plot([0, 1], [0, 1], "k--", lw=1)
        ax.set_title(f"{name}\nECE {100 * expected_calibration_error(conf, ok):.1f}%  ({len(conf)} queries)")
        ax.set_xlabel("confidence of the top choice (objects + none)")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("accuracy")
    axes[0].legend(loc="upper left")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
