"""Part 1: the record processor against a CPU-free stub DynamoDB, 10,000 records, L = 0/10/50 ms.

moto spends 6-7 ms of CPU per 25-item BatchWriteItem, which capped every client the previous
version of this part measured. Here DynamoDB is bench.stub_dynamodb (its own process): it answers
BatchWriteItem with no UnprocessedItems after a fixed delay L and counts requests and puts. One
worker process per L (bench.record_processor_worker) runs, interleaved on the same event:

- the handler (`process_records.lambda_handler`, WRITE_CONCURRENCY calls in flight);
- a raw boto3 loop (sequential `client.batch_write_item`, 25 items, items built beforehand);
- the seed's pattern (a resource `Table.batch_writer()`, sequential, 2-attribute items).

Reported: records/s, the handler's wall time against its network floor ceil(400 / c) x L, CPU
microseconds per record (the worker's process time, all threads; median and min-max over the
repetitions) and the speedups, all medians of per-repetition values measured back to back.

A sweep of WRITE_CONCURRENCY at 10 ms then measures the function at 256 MB, where Lambda gives
~0.145 vCPU (1,769 MB = 1 vCPU): each sweep worker runs in a cgroup limited to that share of a CPU
(bench/cpu_quota.py: CFS quota 14.5 ms per 100 ms, as Lambda enforces its share), and so does the
seed's loop it is compared with. WRITE_CONCURRENCY is the least c within 10% of the sweep's best
wall time. Where no cgroup can be made the sweep runs at a full CPU and only the model column
speaks for 256 MB: a concurrent writer cannot finish before max(CPU / 0.145, network floor).
Targets (issue 16): <= 40 us CPU per record; >= 6x the seed's wall time at 10 ms.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.cpu_quota import cpu_quota
from bench.processes import LAYER_DIR, REPO, stub_dynamodb
from bench.stats import markdown_table, median

RECORDS = 10_000
LATENCIES_MS = (0.0, 10.0, 50.0)
SWEEP_LATENCY_MS = 10.0
SWEEP_CONCURRENCY = (1, 2, 4, 8, 16)
LAMBDA_256MB_VCPU = 256 / 1769  # Lambda: 1,769 MB = 1 vCPU, CPU share proportional to memory
CPU_TARGET_US = 40.0
SEED_SPEEDUP_TARGET = 6.0
TABLE = "bench-processed"
BATCH_WRITE_ITEMS = 25

CLIENT_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_SESSION_TOKEN": "",
}


def template_write_concurrency() -> int:
    """RecordProcessorFunction's WRITE_CONCURRENCY in template.yaml: the handler as deployed."""
    from localcloud.deploy.template_loader import load_template  # noqa: PLC0415 - a dev tool

    template = load_template(REPO / "template.yaml")
    function = template["Resources"]["RecordProcessorFunction"]["Properties"]
    return int(function["Environment"]["Variables"]["WRITE_CONCURRENCY"])


def network_floor_s(records: int, latency_ms: float, concurrency: int) -> float:
    """The least wall time c calls in flight need: ceil(calls / c) round trips of L."""
    return math.ceil(math.ceil(records / BATCH_WRITE_ITEMS) / concurrency) * latency_ms / 1000


def worker_env(stub_url: str, concurrency: int) -> dict[str, str]:
    """The function's environment, as template.yaml sets it, pointed at the stub."""
    return {
        **os.environ,
        **CLIENT_ENV,
        "PYTHONPATH": os.pathsep.join(
            [str(REPO / "src" / "record_stream"), str(LAYER_DIR), str(REPO)]
        ),
        "AWS_ENDPOINT_URL": stub_url,
        "PROCESSED_TABLE_NAME": TABLE,
        "REJECTED_RECORDS_QUEUE_URL": f"{stub_url}/123456789012/bench-rejected",  # never called
        "WRITE_CONCURRENCY": str(concurrency),
        # As template.yaml sets them; tracing off as in the local cloud (no X-Ray daemon).
        "POWERTOOLS_SERVICE_NAME": "record-stream",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_LOGGER_LOG_EVENT": "false",
        "POWERTOOLS_METRICS_NAMESPACE": "SamStreamsAndQueues",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


def _run_worker(
    stub_url: str,
    concurrency: int,
    repetitions: int,
    variants: tuple[str, ...],
    profile: Path | None = None,
    preexec: Callable[[], None] | None = None,
) -> dict[str, Any]:
    env = worker_env(stub_url, concurrency)
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "runs.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.record_processor_worker",
                "--records",
                str(RECORDS),
                "--repetitions",
                str(repetitions),
                "--variants",
                ",".join(variants),
                "--stub-url",
                stub_url,
                "--out",
                str(out),
                *(["--profile", str(profile)] if profile else []),
            ],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,  # the handler's logs and EMF metrics
            cwd=REPO,
            preexec_fn=preexec,  # joins the CPU-quota cgroup (bench.cpu_quota)
        )
        result: dict[str, Any] = json.loads(out.read_text())
        return result


@dataclass(frozen=True)
class Variant:
    """Medians over one worker's repetitions of one variant."""

    seconds: float
    cpu_us_per_record: float
    requests_per_record: float
    items_per_record: float

    @classmethod
    def of(cls, runs: list[dict[str, Any]]) -> Variant:
        return cls(
            seconds=median([run["seconds"] for run in runs]),
            cpu_us_per_record=median([1e6 * run["cpu_s"] / run["records"] for run in runs]),
            requests_per_record=sum(run["requests"] for run in runs)
            / sum(run["records"] for run in runs),
            items_per_record=sum(run["items"] for run in runs)
            / sum(run["records"] for run in runs),
        )

    @property
    def records_per_s(self) -> float:
        return RECORDS / self.seconds

    def modelled_256mb_s(self, latency_ms: float, concurrency: int | None) -> float:
        """Wall time at 0.145 vCPU: see the module docstring (None: a sequential loop)."""
        cpu_s = self.cpu_us_per_record * RECORDS / 1e6 / LAMBDA_256MB_VCPU
        if concurrency is None:
            return cpu_s + network_floor_s(RECORDS, latency_ms, 1)
        return max(cpu_s, network_floor_s(RECORDS, latency_ms, concurrency))


def _ratio(runs: list[dict[str, Any]], over: str, under: str) -> float:
    """Median of per-repetition wall-time ratios over/under (the pair ran back to back)."""
    seconds = {(run["variant"], run["repetition"]): run["seconds"] for run in runs}
    return median(
        [
            seconds[(over, repetition)] / seconds[(under, repetition)]
            for variant, repetition in seconds
            if variant == under and (over, repetition) in seconds
        ]
    )


def _variants(runs: list[dict[str, Any]]) -> dict[str, Variant]:
    names = sorted({run["variant"] for run in runs})
    return {name: Variant.of([run for run in runs if run["variant"] == name]) for name in names}


def latency_rows(workers: dict[float, dict[str, Any]], concurrency: int) -> list[dict[str, Any]]:
    rows = []
    for latency_ms, worker in workers.items():
        variants = _variants(worker["runs"])
        handler = variants["handler"]
        floor_s = network_floor_s(RECORDS, latency_ms, concurrency)
        rows.append(
            {
                "latency_ms": latency_ms,
                "concurrency": concurrency,
                "variants": {name: variant.__dict__ for name, variant in variants.items()},
                "handler_rps": handler.records_per_s,
                "handler_s": handler.seconds,
                "floor_s": floor_s,
                "handler_over_floor": handler.seconds / floor_s if floor_s else math.nan,
                "speedup_vs_seed": _ratio(worker["runs"], "seed", "handler"),
                "speedup_vs_raw_loop": _ratio(worker["runs"], "raw_loop", "handler"),
                "cpu_us": {name: v.cpu_us_per_record for name, v in variants.items()},
                "cpu_us_spread": _cpu_spread(worker["runs"], "handler"),
                "requests_per_record": handler.requests_per_record,
                "items_per_record": handler.items_per_record,
                "modelled_256mb_speedup_vs_seed": variants["seed"].modelled_256mb_s(
                    latency_ms, None
                )
                / handler.modelled_256mb_s(latency_ms, concurrency),
            }
        )
    return rows


def hidden_latency_ms(cpu_us_per_record: float, concurrency: int) -> float:
    """The largest L that c requests in flight hide at 256 MB: while one request's CPU runs
    (25 records, stretched by 1 / 0.145), the other c - 1 wait on the network."""
    request_cpu_ms = BATCH_WRITE_ITEMS * cpu_us_per_record / 1000 / LAMBDA_256MB_VCPU
    return (concurrency - 1) * request_cpu_ms


def _cpu_spread(runs: list[dict[str, Any]], variant: str) -> tuple[float, float]:
    per_record = [1e6 * r["cpu_s"] / r["records"] for r in runs if r["variant"] == variant]
    return min(per_record), max(per_record)


def _spread(runs: list[dict[str, Any]], variant: str) -> tuple[float, float]:
    seconds = [run["seconds"] for run in runs if run["variant"] == variant]
    return min(seconds), max(seconds)


def sweep_rows(
    workers: dict[int, dict[str, Any]], quota_vcpu: float | None
) -> list[dict[str, Any]]:
    """One row per WRITE_CONCURRENCY at 10 ms; with a quota, measured at that share of a CPU."""
    seed = next(
        (_variants(w["runs"])["seed"] for w in workers.values() if "seed" in _variants(w["runs"])),
        None,
    )
    rows = []
    for concurrency, worker in workers.items():
        handler = _variants(worker["runs"])["handler"]
        fastest, slowest = _spread(worker["runs"], "handler")
        rows.append(
            {
                "concurrency": concurrency,
                "quota_vcpu": quota_vcpu,
                "handler_s": handler.seconds,
                "handler_s_spread": (fastest, slowest),
                "cpu_us": handler.cpu_us_per_record,
                "floor_s": network_floor_s(RECORDS, SWEEP_LATENCY_MS, concurrency),
                "seed_s": seed.seconds if seed else math.nan,
                "modelled_256mb_s": handler.modelled_256mb_s(SWEEP_LATENCY_MS, concurrency),
                "hidden_latency_256mb_ms": hidden_latency_ms(
                    handler.cpu_us_per_record, concurrency
                ),
            }
        )
    return rows


def chosen_concurrency(rows: list[dict[str, Any]], within: float = 1.10) -> int:
    """The least WRITE_CONCURRENCY whose wall time is within 10% of the sweep's best: more
    threads past that point only add memory and GIL hand-offs."""
    best = min(row["handler_s"] for row in rows)
    return min(int(row["concurrency"]) for row in rows if row["handler_s"] <= within * best)


def run(
    repetitions: int = 3,
    concurrency: int | None = None,
    sweep: tuple[int, ...] = SWEEP_CONCURRENCY,
    profile: Path | None = None,
) -> dict[str, Any]:
    """`concurrency`: WRITE_CONCURRENCY for the latency rows; None takes template.yaml's."""
    started = time.monotonic()
    concurrency = concurrency or template_write_concurrency()
    workers: dict[float, dict[str, Any]] = {}
    for latency_ms in LATENCIES_MS:
        with stub_dynamodb(latency_ms) as stub:
            # 400 sequential round trips of 50 ms are 20 s per baseline run: fewer of those.
            reps = repetitions if latency_ms < 50 else max(1, repetitions - 1)
            workers[latency_ms] = _run_worker(
                stub.url,
                concurrency,
                reps,
                ("handler", "raw_loop", "seed"),
                profile if latency_ms == SWEEP_LATENCY_MS else None,
            )
    sweep_workers: dict[int, dict[str, Any]] = {}
    with stub_dynamodb(SWEEP_LATENCY_MS) as stub, cpu_quota(LAMBDA_256MB_VCPU) as join_quota:
        for width in sweep:
            # The seed's sequential loop once, in the first worker, at the same CPU share.
            variants = ("handler", "seed") if width == sweep[0] else ("handler",)
            sweep_workers[width] = _run_worker(
                stub.url, width, repetitions, variants, preexec=join_quota
            )
    quota_vcpu = LAMBDA_256MB_VCPU if join_quota is not None else None
    rows = latency_rows(workers, concurrency)
    sweep_table = sweep_rows(sweep_workers, quota_vcpu) if sweep_workers else []
    return {
        "rows": rows,
        "sweep": sweep_table,
        "concurrency": concurrency,
        "records": RECORDS,
        "workers": {str(k): v for k, v in workers.items()},
        "sweep_workers": {str(k): v for k, v in sweep_workers.items()},
        "seconds": time.monotonic() - started,
        "chosen_concurrency": chosen_concurrency(sweep_table) if sweep_table else None,
        "table": table(rows) + ("\n\n" + sweep_markdown(sweep_table) if sweep_table else ""),
    }


Ratio = tuple[str, str, str, bool | None]
"""(what, measured, target, met: None where the issue sets no target)."""


def ratios(result: dict[str, Any]) -> list[Ratio]:
    """What issue 16 parts 1 and 2 are judged by, from one run's rows and sweep."""
    out: list[Ratio] = []
    for row in result["rows"]:
        latency = f"{row['latency_ms']:.0f} ms"
        cpu = row["cpu_us"]
        if row["floor_s"]:
            out.append(
                (
                    f"handler wall / network floor at {latency}",
                    f"{row['handler_over_floor']:.2f}x",
                    "",
                    None,
                )
            )
        seed_target = row["latency_ms"] == SWEEP_LATENCY_MS
        out.append(
            (
                f"seed wall / handler wall at {latency}",
                f"{row['speedup_vs_seed']:.2f}x",
                f">= {SEED_SPEEDUP_TARGET:.0f}x" if seed_target else "",
                row["speedup_vs_seed"] >= SEED_SPEEDUP_TARGET if seed_target else None,
            )
        )
        out.append(
            (
                f"raw boto3 loop wall / handler wall at {latency}",
                f"{row['speedup_vs_raw_loop']:.2f}x",
                "",
                None,
            )
        )
        out.append(
            (
                f"handler CPU us/record at {latency}",
                f"{cpu['handler']:.1f} (%.1f-%.1f)" % row["cpu_us_spread"],
                f"<= {CPU_TARGET_US:.0f}",
                cpu["handler"] <= CPU_TARGET_US,
            )
        )
        out.append(
            (
                f"handler CPU / raw boto3 loop CPU at {latency}",
                f"{cpu['handler'] / cpu['raw_loop']:.2f}x",
                "",
                None,
            )
        )
        out.append(
            (
                f"handler CPU / seed CPU at {latency}",
                f"{cpu['handler'] / cpu['seed']:.2f}x",
                "",
                None,
            )
        )
    sweep = result["sweep"]
    if sweep:
        chosen = result["chosen_concurrency"]
        at = next(row for row in sweep if row["concurrency"] == chosen)
        share = f"{at['quota_vcpu']:.3f} vCPU" if at["quota_vcpu"] else "1 vCPU (no quota)"
        out.append(
            (
                f"seed wall / handler wall at 10 ms, {share}, WRITE_CONCURRENCY={chosen}",
                f"{at['seed_s'] / at['handler_s']:.2f}x",
                "",
                None,
            )
        )
        deployed = template_write_concurrency()
        out.append(
            (
                f"WRITE_CONCURRENCY chosen at {share} / template.yaml's",
                f"{chosen} / {deployed}",
                "equal",
                chosen == deployed,
            )
        )
    return out


def _mark(met: bool) -> str:
    return "yes" if met else "**no**"


def table(rows: list[dict[str, Any]]) -> str:
    body = []
    for row in rows:
        cpu = row["cpu_us"]
        variants = row["variants"]
        body.append(
            [
                f"{row['latency_ms']:.0f} ms",
                f"{row['handler_rps']:,.0f}",
                f"{row['handler_s']:.2f} s",
                f"{row['floor_s']:.2f} s",
                "-"
                if math.isnan(row["handler_over_floor"])
                else f"{row['handler_over_floor']:.2f}x",
                f"{variants['raw_loop']['seconds']:.2f} s",
                f"{variants['seed']['seconds']:.2f} s",
                f"**{row['speedup_vs_seed']:.2f}x**"
                + (
                    f" ({_mark(row['speedup_vs_seed'] >= SEED_SPEEDUP_TARGET)})"
                    if row["latency_ms"] == SWEEP_LATENCY_MS
                    else ""
                ),
                f"{row['speedup_vs_raw_loop']:.2f}x",
                f"**{cpu['handler']:.0f}** ({_mark(cpu['handler'] <= CPU_TARGET_US)})",
                f"{cpu['raw_loop']:.0f}",
                f"{cpu['seed']:.0f}",
                f"{cpu['handler'] / cpu['raw_loop']:.2f}x",
                f"{row['modelled_256mb_speedup_vs_seed']:.2f}x",
                f"{row['requests_per_record']:.3f}",
            ]
        )
    return markdown_table(
        [
            "latency L",
            "handler rec/s",
            "handler wall",
            f"floor ceil(400/{rows[0]['concurrency']})*L",
            "wall / floor",
            "raw loop wall",
            "seed wall",
            f"seed / handler (>= {SEED_SPEEDUP_TARGET:.0f}x at 10 ms)",
            "raw loop / handler",
            f"handler CPU us/rec (<= {CPU_TARGET_US:.0f})",
            "raw loop CPU us/rec",
            "seed CPU us/rec",
            "handler CPU / raw loop CPU",
            "seed / handler at 256 MB (model)",
            "requests/record",
        ],
        body,
    )


def sweep_markdown(rows: list[dict[str, Any]]) -> str:
    quota = rows[0]["quota_vcpu"]
    share = (
        f"measured at {quota:.3f} vCPU (a cgroup CPU quota, bench/cpu_quota.py)"
        if quota
        else "at a full CPU (no cgroup quota here: see the 256 MB model column)"
    )
    chosen = chosen_concurrency(rows)
    body = [
        [
            row["concurrency"] if row["concurrency"] != chosen else f"**{row['concurrency']}**",
            f"{row['handler_s']:.2f} s ({row['handler_s_spread'][0]:.2f}-"
            f"{row['handler_s_spread'][1]:.2f})",
            f"{row['cpu_us']:.0f}",
            f"{row['floor_s']:.2f} s",
            f"{row['seed_s'] / row['handler_s']:.2f}x",
            f"{row['modelled_256mb_s']:.2f} s",
            f"<= {row['hidden_latency_256mb_ms']:.0f} ms",
        ]
        for row in rows
    ]
    return (
        f"WRITE_CONCURRENCY at 10 ms, {share}; the seed's loop there: {rows[0]['seed_s']:.2f} s. "
        f"Least within 10% of the best: **{chosen}**.\n\n"
        + markdown_table(
            [
                "WRITE_CONCURRENCY",
                "handler wall (min-max)",
                "CPU us/record",
                "network floor",
                "seed / handler",
                "256 MB model",
                "latency hidden at 256 MB",
            ],
            body,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--concurrency", type=int, help="WRITE_CONCURRENCY (template's)")
    parser.add_argument(
        "--sweep", default=",".join(map(str, SWEEP_CONCURRENCY)), help="'' to skip the sweep"
    )
    parser.add_argument("--profile", type=Path, help="cProfile of the handler at 10 ms (pstats)")
    args = parser.parse_args()
    sweep = tuple(int(c) for c in args.sweep.split(",") if c)
    results = run(args.repetitions, args.concurrency, sweep, args.profile)
    print(results["table"])
    print(f"took {results['seconds']:.0f} s")


if __name__ == "__main__":
    main()
