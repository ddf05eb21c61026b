"""Part 5: what an idle local cloud costs, per way of noticing new records.

One local cloud per poller setting, in this process, each left idle for a while once its
function workers have started; the CPU of this process and of its worker processes over that
time, as a share of one core. The settings, all measured in the same run:

- `fixed 0.25 s` (the baseline, the pollers before wake-ups): every idle shard asked moto every
  0.25 s, every SQS poller long-polled moto 1 s at a time;
- `fixed 2.5 s`: what an adaptive interval costs once it has grown to a 2.5 s cap (it then
  polls like a fixed 2.5 s interval, and a record arriving after a quiet spell waits for it);
- `wake-ups, no SQS long poll`: every poller sleeps until the moto server sees a write to what
  it watches, with a slow safety poll (`PollerSettings.idle_poll_interval_s`);
- `wake-ups` (the default): the same, but each SQS mapping's first poller long-polls moto 1 s
  at a time, which answers a waiting receive the moment a message lands.

Linux only (CPU is read from /proc).
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.in_process_cloud import local_cloud
from bench.stats import markdown_table
from localcloud.esm.settings import PollerSettings

IDLE_S = 30.0
# After start-up: the workers prewarm (imports) in the background, which is not idle cost.
SETTLE_S = 8.0
_TICKS = os.sysconf("SC_CLK_TCK")

WAKE_UPS = PollerSettings()
WAKE_UPS_NAME = "wake-ups"
SETTINGS: dict[str, PollerSettings] = {
    # The pollers before wake-ups: streams asked every 0.25 s, SQS long-polled moto for 1 s.
    "fixed 0.25 s (baseline)": replace(
        WAKE_UPS,
        wake_on_writes=False,
        idle_poll_interval_s=0.25,
        sqs_wait_time_s=1,
        shard_discovery_interval_s=5.0,
    ),
    "fixed 2.5 s (adaptive at its cap)": replace(
        WAKE_UPS, wake_on_writes=False, idle_poll_interval_s=2.5, sqs_wait_time_s=0
    ),
    "wake-ups, no SQS long poll": replace(WAKE_UPS, sqs_wait_time_s=0),
    WAKE_UPS_NAME: WAKE_UPS,
}
BASELINE = next(iter(SETTINGS))


def _cpu_s(stat: str) -> float:
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def _parent_pid(stat: str) -> int:
    return int(stat.rsplit(")", 1)[1].split()[1])


def cloud_cpu_s() -> float:
    """CPU seconds of this process and of its child processes (the function workers)."""
    me = os.getpid()
    total = time.process_time()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited meanwhile
        if _parent_pid(stat) == me:
            total += _cpu_s(stat)
    return total


def idle_share(settings: PollerSettings, idle_s: float) -> float:
    """CPU share of one core used by an idle cloud polled with `settings`."""
    with local_cloud(settings):
        time.sleep(SETTLE_S)
        cpu, started = cloud_cpu_s(), time.monotonic()
        time.sleep(idle_s)
        return (cloud_cpu_s() - cpu) / (time.monotonic() - started)


def _ratio(baseline: float, share: float) -> str:
    return f"{baseline / share:.1f}x less" if share > 0 else "none measured"


def run(quick: bool = False) -> dict[str, Any]:
    idle_s = IDLE_S / 3 if quick else IDLE_S
    shares = {}
    for name, settings in SETTINGS.items():
        shares[name] = idle_share(settings, idle_s)
        print(f"  {name}: {100 * shares[name]:.2f}% of a core", flush=True)
    baseline = shares[BASELINE]
    rows = [
        [
            name,
            f"{100 * share:.2f}%",
            "1.0x (baseline)" if name == BASELINE else _ratio(baseline, share),
        ]
        for name, share in shares.items()
    ]
    return {
        "idle_s": idle_s,
        "cpu_share": shares,
        "table": markdown_table(["idle cloud", "CPU (one core)", "vs baseline"], rows),
    }


IDLE_TARGET = 0.01  # of one core


def ratios(result: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """Issue 14 part 5: under 1% of a core idle, and how much less than the fixed 0.25 s polls."""
    shares = result["cpu_share"]
    kept = shares[WAKE_UPS_NAME]
    baseline = shares[BASELINE]
    return [
        ("idle CPU, wake-ups / 1% of a core", f"{kept / IDLE_TARGET:.2f}x ({100 * kept:.2f}%)",
         "< 1x", kept < IDLE_TARGET),
        ("idle CPU, fixed 0.25 s / wake-ups", _ratio(baseline, kept), "", None),
    ]  # fmt: skip


if __name__ == "__main__":
    print(run()["table"])
