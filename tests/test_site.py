"""Tests of rmtlib.pipeline.site: toc reading, cached execution, assembly of the staging tree.

The Jupyter Book rendering itself is exercised by ``make test`` (``python -m rmtlib
book --profile ci`` then ``tests/site/``); here it is replaced by a stub so that the
cache and assembly logic are tested in seconds.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from rmtlib.pipeline import site
from rmtlib.verdict import read_verdicts


@pytest.fixture
def project(tiny_book) -> Path:
    return tiny_book


def test_toc_entries_walks_parts_chapters_and_sections():
    toc = {
        "root": "book/intro",
        "parts": [
            {
                "caption": "A",
                "chapters": [{"file": "a.md", "sections": [{"file": "a1.ipynb"}, {"url": "x"}]}],
            },
            {"caption": "B", "chapters": [{"file": "notebooks/b"}]},
        ],
    }
    assert site.toc_entries(toc) == ["book/intro", "a", "a1", "notebooks/b"]


def test_missing_toc_page_stops_the_build(project):
    (project / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/05_growing_outliers\n"
        "  - file: book/status\n"
    )
    with pytest.raises(site.BookError, match="do not exist .*: notebooks/05_growing_outliers$"):
        site.build_book(project, profile="ci", log=lambda line: None)


def test_chapters_are_cached_by_content_hash(project):
    logs = []
    site.build_book(project, profile="ci", log=logs.append)
    assert "[book] 01_tiny: executing with the ci profile {'N': 20}" in logs
    cached = project / "_build" / "executed" / "ci" / "01_tiny.ipynb"
    record = nbformat.read(str(cached), as_version=4).metadata["rmtlib"]
    assert record["parameters"] == {"N": 20} and record["profile"] == "ci"

    logs.clear()
    site.build_book(project, profile="ci", log=logs.append)
    assert (
        f"[book] 01_tiny: unchanged (hash {record['content_hash'][:12]}), reusing the executed notebook"
        in logs
    )

    (project / "notebooks" / "profiles.yml").write_text(
        "01_tiny:\n  ci: {N: 20, fail: true}\n  full: {N: 40}\n"
    )
    with pytest.raises(site.BookError) as info:
        site.build_book(project, profile="ci", log=lambda line: None)
    assert "01_tiny: cell In [" in str(info.value) and "AssertionError: asked to fail" in str(info.value)
    assert (cached.parent / "01_tiny.failed.ipynb").is_file()
    kept = nbformat.read(str(cached), as_version=4).metadata["rmtlib"]
    assert kept["content_hash"] == record["content_hash"]  # the failure was not cached as good


def test_staging_tree_has_generated_pages(project):
    site.build_book(project, profile="ci", log=lambda line: None)
    staging = project / "_build" / "source"
    status = (staging / "book" / "status.md").read_text()
    summary, verdicts = status.split("## Verdicts")
    assert "| chapter | passed | σ² error | time (s) |" in summary
    # chapters named by their title; the runtime is the one of the chapter's verdict table; the
    # tiny chapter's verdict states no power against the noise variance
    tiny = r"\| \[Tiny chapter\]\(\.\./notebooks/01_tiny\.ipynb\) \| 1 / 1 \| — \| \d+\.\d \|"
    assert re.search(tiny, summary)
    assert "| **all chapters** | **1 / 1** | | |" in summary
    assert "### [Tiny chapter](../notebooks/01_tiny.ipynb)" in verdicts
    # one verdict: its quantity across the table, then predicted, observed, tolerance, power, margin
    assert "<b>T0</b> identity <small>(N = 20, seeds = 1)</small></td></tr>" in verdicts
    assert "<tr><td>1</td><td>1.05</td><td>0.5</td><td>0.6</td><td>" in verdicts
    # margin |1.05 - 1| / 0.5 = 0.1: a bar filled to 10 %, and its value as text
    assert 'aria-label="|diff| / tolerance = 0.10"' in verdicts and "width:10%" in verdicts
    assert "http" not in status.replace("(../notebooks/", "")  # nothing remote
    runs = (staging / "book" / "reproducibility.md").read_text()
    assert "<!-- runs-table -->" not in runs
    assert "| [01_tiny](../notebooks/01_tiny.ipynb) | `ci` | `N=20` |" in runs
    assert "| numpy |" in runs and "| python |" in runs
    assert "### The environment fingerprint of this build" in runs and "| BLAS of numpy" in runs
    staged = nbformat.read(str(staging / "notebooks" / "01_tiny.ipynb"), as_version=4)
    (verdict,) = read_verdicts(staged)
    assert verdict.observed == 1.05 and staged.metadata["rmtlib"]["parameters"] == {"N": 20}


def test_a_page_lists_its_parameters_once_with_the_values_it_ran_with(project):
    site.build_book(project, profile="ci", log=lambda line: None)
    cached = nbformat.read(str(project / "_build" / "executed" / "ci" / "01_tiny.ipynb"), as_version=4)
    staged = nbformat.read(str(project / "_build" / "source" / "notebooks" / "01_tiny.ipynb"), as_version=4)
    tags = [cell.metadata.get("tags", []) for cell in staged.cells]
    assert ["parameters"] in tags and not any("injected-parameters" in t for t in tags)
    (listing,) = [cell.source for cell in staged.cells if "parameters" in cell.metadata.get("tags", [])]
    assert listing == "N = 20\nfail = False"
    # the executed notebook in the cache keeps papermill's cell (its hash and outputs stay valid)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in cached.cells)
    assert len(staged.cells) == len(cached.cells) - 1


def test_parameter_listing_keeps_comments_and_appends_names_it_lacks():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "sizes = [250, 500]  # matrix sizes # of the family\nseed = 5  # seed\nname = 'a # b'",
                metadata={"tags": ["parameters"]},
            ),
            nbformat.v4.new_code_cell(
                "# Parameters\nsizes = [200, 300]\nname = 'c'\nextra = 1.5\n",
                metadata={"tags": ["injected-parameters"]},
            ),
            nbformat.v4.new_code_cell("print(sizes)"),
        ]
    )
    page = site._one_parameter_listing(nb)
    assert [c.source for c in page.cells] == [
        "sizes = [200, 300]  # matrix sizes # of the family\nseed = 5  # seed\nname = 'c'\nextra = 1.5",
        "print(sizes)",
    ]
    assert len(nb.cells) == 3  # the notebook given is left as it was


def test_the_intro_key_figure_must_be_saved_by_a_chapter(project):
    (project / "book" / "intro.md").write_text("# Intro\n\n```{figure} figures/key_figure.png\nKey.\n```\n")
    with pytest.raises(site.BookError, match="exactly one chapter must save .* found 0: none"):
        site.build_book(project, profile="ci", log=lambda line: None)
    figures = project / "_build" / "executed" / "ci" / "figures" / "01_tiny"
    (figures / "key_figure.png").write_bytes(b"\x89PNG fake")
    cached = project / "_build" / "executed" / "ci" / "01_tiny.ipynb"
    nb = nbformat.read(str(cached), as_version=4)
    nb.metadata["rmtlib"]["figures"] = ["key_figure.png"]
    nbformat.write(nb, str(cached))
    site.build_book(project, profile="ci", log=lambda line: None)
    assert (
        project / "_build" / "source" / "book" / "figures" / "key_figure.png"
    ).read_bytes() == b"\x89PNG fake"


def test_a_chapter_without_the_profile_is_named(project):
    (project / "notebooks" / "profiles.yml").write_text("01_tiny:\n  full: {N: 40}\n")
    with pytest.raises(site.BookError, match="01_tiny: profiles.yml has no 'ci' profile for 01_tiny"):
        site.build_book(project, profile="ci", log=lambda line: None)


def test_each_profile_renders_into_its_own_site_folder(tmp_path, monkeypatch):
    """A ci build (make test) leaves the full book that make book built in _build/html."""
    import subprocess

    class FakeJupyterBook:
        """Writes what `jupyter-book build --path-output OUT` writes: OUT/_build/html."""

        def __init__(self, command, **kwargs):
            out = Path(command[command.index("--path-output") + 1])
            (out / "_build" / "html").mkdir(parents=True)
            (out / "_build" / "html" / "index.html").write_text(f"built from {command[-1]}")
            self.stdout, self.returncode = iter(["build succeeded.\n"]), 0

        def wait(self):
            return 0

    monkeypatch.setattr(subprocess, "Popen", FakeJupyterBook)
    full = site._render(tmp_path, tmp_path / "staging-full", "full", log=lambda line: None)
    ci = site._render(tmp_path, tmp_path / "staging-ci", "ci", log=lambda line: None)
    assert full == tmp_path / "_build" / "html" / "index.html"
    assert ci == tmp_path / "_build" / "html-ci" / "index.html"
    assert full.read_text().endswith("staging-full") and ci.read_text().endswith("staging-ci")
    again = site._render(tmp_path, tmp_path / "staging-ci-2", "ci", log=lambda line: None)
    assert again.read_text().endswith("staging-ci-2") and full.read_text().endswith("staging-full")
