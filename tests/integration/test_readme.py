"""The documents' shell examples, run as written against the stack under test.

Blocks marked ``<!-- readme-test: NAME -->`` in any of the repository's Markdown documents (the
root README and those beside the code; ``tests.repository.documents``) are concatenated in order
(later ones use the ``output`` helper of the first) and run with bash; the test checks what a
reader would see. A block moved to another document keeps running.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from tests.repository import documents

BLOCK = re.compile(r"<!-- readme-test: (?P<name>[\w-]+) -->\n```bash\n(?P<code>.*?)```", re.S)


def readme_blocks() -> dict[str, str]:
    blocks: dict[str, str] = {}
    for document in documents():
        for match in BLOCK.finditer(document.read_text()):
            assert match["name"] not in blocks, f"two examples named {match['name']}"
            blocks[match["name"]] = match["code"]
    return blocks


def test_the_documents_have_the_examples_this_test_runs() -> None:
    assert list(readme_blocks()) == ["record-stream", "inbox-outbox"]


@pytest.mark.skipif(
    not os.environ.get("LOCALCLOUD_API_FRONT"), reason="the curl example targets the local cloud"
)
@pytest.mark.skipif(shutil.which("aws") is None, reason="needs the aws CLI (in .venv)")
# The inbox-outbox example reads the shared outbox: it takes its turn (see test_inbox_outbox.py).
@pytest.mark.usefixtures("outbox_turn")
def test_readme_examples_work_as_written() -> None:
    script = "set -euo pipefail\n" + "\n".join(readme_blocks().values())
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout

    item = re.search(r'"SK": \{\s*"S": "(readme-\d+)"', out)
    assert item, f"the record never reached the processed table:\n{out}"
    assert re.search(r'"messageId": "[^"]+"', out), out
    posted = re.search(r'"id": "(readme-\d+)", "message": "hello"', out) or re.search(
        r'"id":\s*"(readme-\d+)"', out
    )
    assert posted, f"the message never came back from GET /outbox:\n{out}"
    # Its receipt was acknowledged (deleted), exactly one, refused none.
    assert re.search(r'"acknowledged":\s*\["[^"]+"\],\s*"failed":\s*\[\]', out), out
    assert "unsigned: 403" in out
