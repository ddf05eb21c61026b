"""The handler's CPU per record as an instruction count: what a loaded, shared machine cannot skew.

    .venv/bin/python -m bench.instructions [--records 10000] [--concurrency 8] [--latency-ms 0]

CPU time per record moves with the machine's load (caches, GIL hand-offs, SMT siblings); the
number of instructions executed hardly does. This runs a handler process under valgrind's
cachegrind (``--cache-sim=no``: instruction counts only) twice against the stub DynamoDB at
L = 0, once with one warm-up invoke and once with one more invoke after it, and reports the
difference per record: one warm invoke's instructions, imports and start-up cancelled out. It
takes minutes (valgrind runs Python ~50x slower), so `make bench` does not run it;
bench/README.md quotes it next to the CPU times.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys

from bench.processes import REPO, stub_dynamodb
from bench.record_processor import RECORDS, template_write_concurrency, worker_env

INVOKES = """
import sys
from events.record_stream.generate_events import valid_batch
from record_stream.handlers import process_records
from tests.lambda_context import LambdaContext
event, context = valid_batch(int(sys.argv[1]), "bench"), LambdaContext()
for _ in range(1 + int(sys.argv[2])):  # the first invoke makes the clients and connections
    process_records.lambda_handler(event, context)
"""


def invokes_command(records: int, extra_invokes: int) -> list[str]:
    """The measured process: the handler invoked 1 + extra_invokes times on one event."""
    return [sys.executable, "-c", INVOKES, str(records), str(extra_invokes)]


VALGRIND = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]


def instructions(env: dict[str, str], records: int, extra_invokes: int) -> int:
    answer = subprocess.run(
        [*VALGRIND, *invokes_command(records, extra_invokes)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", answer.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count in valgrind's output: {answer.stderr[-500:]}")
    return int(found[1].replace(",", ""))


def per_record(records: int, concurrency: int, latency_ms: float = 0.0) -> float:
    with stub_dynamodb(latency_ms) as stub:
        env = worker_env(stub.url, concurrency)
        return (instructions(env, records, 1) - instructions(env, records, 0)) / records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--concurrency", type=int, help="WRITE_CONCURRENCY (template's)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="the stub's delay L")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed")
    concurrency = args.concurrency or template_write_concurrency()
    count = per_record(args.records, concurrency, args.latency_ms)
    print(
        f"{count:,.0f} instructions per record "
        f"(WRITE_CONCURRENCY={concurrency}, L = {args.latency_ms:g} ms)"
    )


if __name__ == "__main__":
    main()
