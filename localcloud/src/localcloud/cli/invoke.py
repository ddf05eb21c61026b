"""``invoke FUNCTION -e EVENT.json``: a Docker-free ``sam local invoke``, against the running
cloud or an ephemeral one."""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path
from typing import Any

from localcloud.cli.launch import cloud_options, new_cloud, setup_logging
from localcloud.state_file import read_state


def _load_event(path: str | None) -> Any:
    if path is None:
        return {}
    text = sys.stdin.read() if path == "-" else Path(path).read_text()
    return json.loads(text) if text.strip() else {}


def cmd_invoke(args: argparse.Namespace) -> int:
    event = _load_event(args.event)
    state = read_state()
    if state is not None:
        from localcloud.clients import local_client  # noqa: PLC0415 - only this path needs boto3

        client = local_client("lambda", state["endpoint_url"], state["region"])
        response = client.invoke(
            FunctionName=args.function, Payload=json.dumps(event).encode(), LogType="Tail"
        )
        print(base64.b64decode(response.get("LogResult", "")).decode(), end="", file=sys.stderr)
        print(response["Payload"].read().decode())
        return 1 if response.get("FunctionError") else 0
    setup_logging(None, verbose=False)
    cloud = new_cloud(cloud_options(args, with_esm=False, with_api=False, prewarm=False))
    cloud.start()
    try:
        assert cloud.invoker is not None
        result = cloud.invoker.invoke(args.function, event)
    finally:
        cloud.stop()
    print(result.log_tail, end="", file=sys.stderr)
    print(json.dumps(result.payload))
    return 0 if result.ok else 1
