"""A book of one tiny chapter for the tests of the book build; the rendering is stubbed.

``tiny_book`` (registered in ``conftest.py``) is a project folder with ``_config.yml``,
``_toc.yml``, ``book/`` and ``notebooks/01_tiny.ipynb`` (profiles ``ci: N 20``,
``full: N 40``); :func:`write_chapter` rewrites the chapter with extra code;
:func:`verdict_notebook` is an executed notebook holding only recorded verdicts.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import nbformat
import pytest

from rmtlib.verdict import VERDICT_KEY


def verdict_notebook(verdicts):
    """An executed notebook whose one cell displayed ``verdicts`` as :func:`rmtlib.verdict.verdict_table`."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("verdict_table(verdicts)")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"text/plain": "\n".join(v.to_text() for v in verdicts)},
            metadata={VERDICT_KEY: [dataclasses.asdict(v) for v in verdicts]},
        )
    ]
    nb.cells = [cell]
    return nb


def write_chapter(path: Path, extra: str = "") -> None:
    """A chapter with parameters ``N`` and ``fail``, one passing verdict, then ``extra`` code."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Tiny chapter"),
        nbformat.v4.new_code_cell("N = 10\nfail = False", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "from rmtlib import verdict\nassert not fail, 'asked to fail'\n"
            "verdict.verdict_table([verdict.check('T0', 'identity', predicted=1.0, observed=1.0 + 1 / N,\n"
            "                                    tolerance=0.5, N=N, detectable=0.6)])\n"
            + extra
        ),
    ]
    nbformat.write(nb, str(path))


@pytest.fixture
def tiny_book(tmp_path, monkeypatch) -> Path:
    from rmtlib.pipeline import site

    (tmp_path / "book").mkdir()
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "_config.yml").write_text("title: tiny\n")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n"
        "  - file: notebooks/01_tiny\n  - file: book/reproducibility.md\n  - file: book/status\n"
    )
    (tmp_path / "book" / "intro.md").write_text("# Intro\n")
    (tmp_path / "book" / "reproducibility.md").write_text("# Reproducibility\n\n<!-- runs-table -->\n")
    (tmp_path / "notebooks" / "profiles.yml").write_text("01_tiny:\n  ci: {N: 20}\n  full: {N: 40}\n")
    write_chapter(tmp_path / "notebooks" / "01_tiny.ipynb")
    monkeypatch.setattr(site, "_copy_mathjax", lambda root, staging, log: None)
    monkeypatch.setattr(
        site, "_render", lambda root, staging, profile, log: site.site_dir(root, profile) / "index.html"
    )
    return tmp_path
