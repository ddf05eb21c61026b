"""POST /inbox -> GET /outbox: wake-ups against the fixed-poll baseline, in alternating rounds.

bench/latency.py measures every path once per setting, one cloud after the other, with 15
messages each: enough to see a 10x difference, not enough to say that wake-ups add no latency to
the one path where an SQS poller sat in moto's long poll before them. Here only that path is
measured, for the baseline and the default, in rounds that alternate the order (A B, B A, ...)
so that a drift in the machine's load falls on both alike. Each round starts a fresh cloud per
setting (bench.in_process_cloud), warms its workers, then sends `messages` messages one at a
time after a random pause, as bench/latency.py does.

Reported: p50 and p95 per setting over all rounds, the ratio of the p50s, and a 95% bootstrap
interval of that ratio (resampling each setting's messages), so "no slower" is a claim with its
uncertainty, not one number.
"""

from __future__ import annotations

import argparse
import random
from typing import Any

from bench.idle import BASELINE, SETTINGS, WAKE_UPS_NAME
from bench.in_process_cloud import local_cloud
from bench.latency import NO_BATCHING_WINDOW, WARMUP, single_messages
from bench.stats import markdown_table, percentile

ROUNDS = 4
MESSAGES = 20
QUICK = 4  # --quick: a quarter of the messages per round
BOOTSTRAP = 2000
COMPARED = (BASELINE, WAKE_UPS_NAME)


def _round(name: str, messages: int, rng: random.Random) -> list[float]:
    with local_cloud(SETTINGS[name], NO_BATCHING_WINDOW) as (_, stack):
        single_messages(stack, WARMUP, rng)  # the workers' first invokes
        return single_messages(stack, messages, rng)


def ratio_interval(
    baseline: list[float], measured: list[float], rng: random.Random
) -> tuple[float, float]:
    """95% bootstrap interval of p50(measured) / p50(baseline)."""
    ratios = sorted(
        percentile(rng.choices(measured, k=len(measured)), 50)
        / percentile(rng.choices(baseline, k=len(baseline)), 50)
        for _ in range(BOOTSTRAP)
    )
    return ratios[int(0.025 * BOOTSTRAP)], ratios[int(0.975 * BOOTSTRAP) - 1]


def run(quick: bool = False, rounds: int = ROUNDS, messages: int = MESSAGES) -> dict[str, Any]:
    messages = max(1, messages // QUICK) if quick else messages
    rng = random.Random(14)
    samples: dict[str, list[float]] = {name: [] for name in COMPARED}
    for index in range(rounds):
        order = COMPARED if index % 2 == 0 else tuple(reversed(COMPARED))
        for name in order:
            samples[name] += _round(name, messages, rng)
            print(f"  round {index + 1}/{rounds}, {name}: {len(samples[name])}", flush=True)
    p50 = {name: percentile(values, 50) for name, values in samples.items()}
    low, high = ratio_interval(samples[BASELINE], samples[WAKE_UPS_NAME], rng)
    rows = [
        [name, len(values), f"{p50[name]:.1f} ms", f"{percentile(values, 95):.1f} ms"]
        for name, values in samples.items()
    ]
    return {
        "rounds": rounds,
        "messages_per_round": messages,
        "samples_ms": samples,
        "p50_ms": p50,
        "ratio": p50[WAKE_UPS_NAME] / p50[BASELINE],
        "ratio_interval": [low, high],
        "table": markdown_table(["POST /inbox -> GET /outbox", "messages", "p50", "p95"], rows)
        + f"\n\nwake-ups p50 / baseline p50: {p50[WAKE_UPS_NAME] / p50[BASELINE]:.2f}x"
        f" (95% bootstrap interval {low:.2f}-{high:.2f}x)",
    }


def ratios(result: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    low, high = result["ratio_interval"]
    # "Without adding latency": the baseline's p50 lies inside wake-ups' noise or above it.
    return [
        (
            "POST /inbox -> GET /outbox p50, wake-ups / fixed 0.25 s",
            f"{result['ratio']:.2f}x ({low:.2f}-{high:.2f}x)",
            "interval reaches <= 1x",
            low <= 1.0,
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--messages", type=int, default=MESSAGES, help="per round and setting")
    args = parser.parse_args()
    result = run(rounds=args.rounds, messages=args.messages)
    print(result["table"])


if __name__ == "__main__":
    main()
