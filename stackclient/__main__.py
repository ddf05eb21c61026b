"""``python -m stackclient demo``: send records and inbox messages to the stack, show progress.

Works on whichever stack ``AWS_SAM_STACK_NAME`` names, on AWS or the local cloud.
"""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from stackclient.load import LoadResult, send_messages, send_records
from stackclient.stack import StackNotFound, load_stack


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m stackclient")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="send N records and M inbox messages, report latency")
    demo.add_argument("--records", type=int, default=1000, help="records to put on the stream")
    demo.add_argument("--messages", type=int, default=50, help="messages to POST to /inbox")
    demo.add_argument("--padding", type=int, default=0, help="extra bytes per record")
    demo.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for each")
    demo.add_argument("--json", action="store_true", help="print results as JSON lines")
    return parser


def _demo(args: argparse.Namespace, console: Console) -> list[LoadResult]:
    stack = load_stack()
    results: list[LoadResult] = []
    columns = (
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=args.json) as progress:
        if args.records:
            put = progress.add_task("records put on the stream", total=args.records)
            seen = progress.add_task("records captured", total=args.records)
            results.append(
                send_records(
                    stack,
                    args.records,
                    padding=args.padding,
                    timeout_s=args.timeout,
                    on_sent=lambda n: progress.advance(put, n),
                    on_captured=lambda n: progress.advance(seen, n),
                )
            )
        if args.messages:
            posted = progress.add_task("messages posted to /inbox", total=args.messages)
            back = progress.add_task("messages back from /outbox", total=args.messages)
            results.append(
                send_messages(
                    stack,
                    args.messages,
                    timeout_s=args.timeout,
                    on_sent=lambda n: progress.advance(posted, n),
                    on_received=lambda n: progress.advance(back, n),
                )
            )
    return results


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console(stderr=True)
    try:
        results = _demo(args, console)
    except StackNotFound as error:
        console.print(f"[red]{error}[/red]")
        return 2
    for result in results:
        print(json.dumps(result.as_dict()) if args.json else result.summary())
    return 0 if all(r.received == r.sent and not r.duplicates for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
