"""A CodeUri's requirements.txt: installed once per file content, reused, never half-installed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from localcloud.deploy.dependencies import DependencyInstallError, install_dependencies

GREETING_WORDS = Path(__file__).resolve().parent / "projects" / "greeter" / "vendor"


def _code_dir(tmp_path: Path, requirements: str) -> Path:
    code = tmp_path / "code"
    code.mkdir(exist_ok=True)
    (code / "requirements.txt").write_text(requirements)
    return code


def test_comments_and_blank_lines_install_nothing(tmp_path: Path) -> None:
    code = _code_dir(tmp_path, "# comes from a layer\n\n   # nothing else\n")
    assert install_dependencies(code, tmp_path / "cache") is None
    assert not (tmp_path / "cache").exists()
    assert install_dependencies(tmp_path, tmp_path / "cache") is None  # no requirements.txt


@pytest.mark.slow
def test_an_unchanged_file_is_installed_once_and_a_changed_one_again(tmp_path: Path) -> None:
    shutil.copytree(GREETING_WORDS, tmp_path / "vendor")
    code = _code_dir(tmp_path, "../vendor/greeting-words\n")
    cache = tmp_path / "cache"

    first = install_dependencies(code, cache)
    assert first is not None
    assert (first / "greeting_words" / "__init__.py").is_file()
    # Reused without pip: it would fail now that the local package is gone.
    shutil.rmtree(tmp_path / "vendor")
    assert install_dependencies(code, cache) == first

    (code / "requirements.txt").write_text("../vendor/greeting-words  # now gone\n")
    with pytest.raises(DependencyInstallError, match=r"requirements\.txt failed"):
        install_dependencies(code, cache)
    assert [path.name for path in cache.iterdir()] == [first.name]  # no partial folder left
