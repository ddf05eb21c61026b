"""img/bench-record-processor.png: wall time and CPU per record, handler vs its baselines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on CI or a headless machine

import matplotlib.pyplot as plt

VARIANTS = (
    ("handler", "handler (concurrent)"),
    ("raw_loop", "raw boto3 loop (sequential)"),
    ("seed", "seed's batch_writer (sequential)"),
)


def record_processor_plot(rows: list[dict[str, Any]], machine: str, path: Path) -> None:
    figure, (wall, cpu) = plt.subplots(1, 2, figsize=(11, 4.2))
    latencies = [row["latency_ms"] for row in rows]
    labels = [f"{latency:.0f} ms" for latency in latencies]
    width = 0.8 / len(VARIANTS)
    for index, (variant, label) in enumerate(VARIANTS):
        offsets = [position + (index - 1) * width for position in range(len(rows))]
        wall.bar(offsets, [row["variants"][variant]["seconds"] for row in rows], width, label=label)
        cpu.bar(offsets, [row["cpu_us"][variant] for row in rows], width, label=label)
    floors = [(position, row["floor_s"]) for position, row in enumerate(rows) if row["floor_s"]]
    wall.plot(
        [position for position, _ in floors],
        [floor for _, floor in floors],
        "k_",
        markersize=22,
        label=f"network floor, {rows[0]['concurrency']} in flight",
    )
    for position, row in enumerate(rows):
        wall.annotate(
            f"{row['speedup_vs_seed']:.1f}x",
            (position - width, row["variants"]["handler"]["seconds"]),
            textcoords="offset points",
            xytext=(0, 4),
            ha="center",
            fontsize=8,
        )
    wall.set_yscale("log")
    wall.set_title("10,000 records: wall time (seed / handler annotated)")
    wall.set_ylabel("seconds (median)")
    cpu.set_title("CPU per record (process time, all threads)")
    cpu.set_ylabel("microseconds")
    for axis in (wall, cpu):
        axis.set_xticks(range(len(rows)), labels)
        axis.set_xlabel("stub DynamoDB latency per request")
        axis.grid(True, axis="y", which="both", alpha=0.3)
    wall.legend(loc="upper left", fontsize=7)
    figure.suptitle(f"Record processor against a CPU-free stub DynamoDB ({machine})")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
