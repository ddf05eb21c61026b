"""Where the local cloud's CPU goes, from a py-spy profile (``bench.end_to_end --py-spy FILE``).

py-spy's raw format is one collapsed stack a line (root first, frames joined by ``;``) and its
sample count. Each sample goes to the first category below that one of its frames matches, so
the shares add up to 100%: moto's own code first, then what carries a request to it, then
the local cloud's own clients of moto (pollers, invoker, log delivery), then the HTTP server.

    .venv/bin/python -m bench.profile_shares FILE
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from bench.stats import markdown_table

# (category, substrings of a frame's file), first match wins.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("moto's response serialiser (moto/core/serialize.py)", ("moto/core/serialize.py",)),
    ("moto's DynamoDB (models, request handling)", ("moto/dynamodb/",)),
    ("moto's Kinesis", ("moto/kinesis/",)),
    ("other moto (request parsing, dispatch, other services)", ("moto/",)),
    (
        "the request's way to moto (localcloud middleware, werkzeug, flask)",
        ("localcloud/wsgi_on_asgi.py", "werkzeug/", "flask/"),
    ),
    ("in-process AWS clients (botocore, urllib3)", ("botocore/", "urllib3/", "http/client.py")),
    ("function invoker and log delivery (localcloud.functions)", ("localcloud/functions/",)),
    ("event source pollers (localcloud.esm)", ("localcloud/esm/",)),
    ("HTTP server (hypercorn, h11, asyncio)", ("hypercorn/", "h11/", "h2/", "asyncio/")),
)
OTHER = "other (threads, GC, unattributed)"


def shares(raw: Path) -> tuple[Counter[str], int]:
    """Samples per category, and the total."""
    counts: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if not number.isdigit():
            continue
        samples = int(number)
        total += samples
        category = next(
            (name for name, files in CATEGORIES if any(f in stack for f in files)), OTHER
        )
        counts[category] += samples
    return counts, total


def shares_table(raw: Path) -> str:
    counts, total = shares(raw)
    rows = [
        [name, f"{100 * counts[name] / total:.0f}%" if total else "-"]
        for name in [*(name for name, _ in CATEGORIES), OTHER]
    ]
    return markdown_table([f"local cloud, {total:,} samples", "share"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path, help="py-spy --format raw output")
    print(shares_table(parser.parse_args().raw))


if __name__ == "__main__":
    main()
