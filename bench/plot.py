"""img/bench-record-processor.png: records/s per batch size, handler vs floor, +/- 10 ms latency."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on CI or a headless machine

import matplotlib.pyplot as plt

MODES = (("loopback", "loopback"), ("latency 10 ms", "10 ms per request (proxy)"))


def record_processor_plot(rows: list[dict[str, Any]], machine: str, path: Path) -> None:
    figure, axes = plt.subplots(1, len(MODES), figsize=(11, 4.2), sharey=True)
    for axis, (mode, title) in zip(axes, MODES, strict=True):
        mode_rows = sorted((r for r in rows if r["mode"] == mode), key=lambda r: r["size"])
        sizes = [r["size"] for r in mode_rows]
        axis.plot(sizes, [r["handler_rps"] for r in mode_rows], "o-", label="handler (8 threads)")
        axis.plot(sizes, [r["floor_rps"] for r in mode_rows], "s--", label="floor (sequential)")
        axis.plot(
            sizes,
            [r["ceiling_rps"] for r in mode_rows],
            ":",
            color="grey",
            label="moto CPU ceiling",
        )
        if mode != "loopback":
            axis.plot(
                sizes[-1:],
                [4 * mode_rows[-1]["floor_rps"]],
                "r_",
                markersize=18,
                label="target: 4x floor",
            )
        for row in mode_rows:
            axis.annotate(
                f"{row['speedup']:.1f}x",
                (row["size"], row["handler_rps"]),
                textcoords="offset points",
                xytext=(0, 7),
                ha="center",
                fontsize=8,
            )
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xticks(sizes, [f"{size:,}" for size in sizes])
        axis.set_title(title)
        axis.set_xlabel("records per invocation (batch size)")
        axis.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("records/s (median)")
    axes[-1].legend(loc="lower right", fontsize=8)
    figure.suptitle(f"Record processor vs raw BatchWriteItem loop, moto server ({machine})")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
