"""What is published is clean: no stderr block, no path of the build machine, in any file of
any built site (``_build/html*``)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

BINARY = {".png", ".jpg", ".jpeg", ".gif", ".ico", ".woff", ".woff2", ".ttf", ".eot", ".pdf", ".svgz"}


@pytest.fixture(scope="module")
def published(project_root) -> list[Path]:
    sites = sorted(p for p in (project_root / "_build").glob("html*") if (p / "index.html").is_file())
    if not sites:
        pytest.fail(
            f"no built site under {project_root / '_build'}: run `python -m rmtlib book --profile ci`"
        )
    return [f for site in sites for f in sorted(site.rglob("*")) if f.is_file() and f.suffix not in BINARY]


def _machine_paths(project_root: Path) -> list[str]:
    candidates = {
        str(project_root),
        str(Path(project_root).resolve()),
        os.path.expanduser("~"),
        sys.prefix,
        tempfile.gettempdir() + "/",
        "/tmp/",
    }
    return sorted(c for c in candidates if len(c) > 1)


def test_no_stderr_block_in_any_page(published):
    bad = [
        str(f) for f in published if f.suffix == ".html" and "output stderr" in f.read_text(errors="ignore")
    ]
    assert not bad, f"pages that show stderr output: {bad}"


def test_no_stderr_output_in_any_downloadable_notebook(published):
    bad = [
        str(f)
        for f in published
        if f.suffix == ".ipynb" and '"name": "stderr"' in f.read_text(errors="ignore").replace('":"', '": "')
    ]
    assert not bad, f"notebooks that carry stderr output: {bad}"


def test_no_path_of_the_build_machine_in_any_published_file(published, project_root):
    paths = _machine_paths(project_root)
    bad = []
    for f in published:
        text = f.read_text(errors="ignore")
        bad += [f"{f}: {p}" for p in paths if p in text]
    assert not bad, "published files that name a path of the build machine:\n" + "\n".join(bad[:20])
