"""Every relative link and image of the repository's documents points at something that exists.

A document moved or a section renamed breaks the links to it silently on GitHub; here it fails a
unit test. Anchors are checked against the target's headings, slugged as GitHub slugs them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.repository import REPO_ROOT, documents

FENCE = re.compile(r"^```.*?^```", re.S | re.M)
CODE_SPAN = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]\n]*\]\((?P<target>[^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*$", re.M)


def _prose(text: str) -> str:
    return CODE_SPAN.sub("", FENCE.sub("", text))


def github_slug(title: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", title.replace("`", "").lower()).replace(" ", "-")


def anchors(document: Path) -> set[str]:
    return {github_slug(m["title"]) for m in HEADING.finditer(FENCE.sub("", document.read_text()))}


def relative_links(document: Path) -> list[str]:
    targets = (m["target"] for m in LINK.finditer(_prose(document.read_text())))
    return [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t)]


def test_the_documents_are_found() -> None:
    found = {path.relative_to(REPO_ROOT).as_posix() for path in documents()}
    assert {"README.md", "localcloud/README.md", "bench/README.md"} <= found


def test_the_slugs_are_githubs() -> None:
    assert github_slug('What "lost" and "duplicated" count') == "what-lost-and-duplicated-count"
    assert github_slug("4. Package size after `sam build`") == "4-package-size-after-sam-build"


@pytest.mark.parametrize(
    "document", documents(), ids=lambda path: path.relative_to(REPO_ROOT).as_posix()
)
def test_every_relative_link_resolves(document: Path) -> None:
    broken = []
    for target in relative_links(document):
        path_part, _, anchor = target.partition("#")
        resolved = (document.parent / path_part).resolve() if path_part else document
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading with that anchor")
    assert broken == []


def test_the_readme_layout_names_paths_that_exist() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    layout = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in layout.splitlines() if line.startswith("| `")]
    named = [path for row in rows for path in re.findall(r"`([^`]+)`", row.split(" | ")[0])]
    assert "template.yaml" in named and "localcloud/" in named
    assert [path for path in named if not (REPO_ROOT / path).exists()] == []
