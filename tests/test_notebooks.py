"""Structure of the chapters T1-T8 (fast: nothing is executed here).

Each chapter opens with a title and a ``prf:theorem`` block that cites its
sources, has exactly one ``parameters`` cell of plain literals with a ``seed``,
shows the rerun note, ends with a verdict cell calling ``check``, and is stored
without outputs. Its ``ci`` and ``full`` profiles name only its parameters.
Execution is tested by the book build (``make test`` runs every chapter with
its ``ci`` profile).
"""

import re
from pathlib import Path

import nbformat
import pytest

from rmtlib.pipeline.parameters import notebook_parameters, resolve_parameters
from rmtlib.profiles import load_profiles

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = [
    "01_semicircle",
    "02_deformed_wigner",
    "03_spikes",
    "04_full_rank_outliers",
    "05_growing_outliers",
    "06_rectangular",
    "07_pruning",
    "08_rectangular_growing_outliers",
]
BIB_KEYS = set(re.findall(r"^@\w+\{([^,]+),", (ROOT / "book" / "references.bib").read_text(), flags=re.M))


def read(chapter):
    return nbformat.read(ROOT / "notebooks" / f"{chapter}.ipynb", as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_opens_with_a_cited_theorem(chapter):
    first = read(chapter).cells[1]  # cells[0] is the setup cell (tests/test_setup_cell.py)
    assert first.cell_type == "markdown" and first.source.startswith("# T")
    assert "```{prf:theorem}" in first.source
    assert "**Status" in first.source  # classical theorem, the paper's setting, or our finding
    cited = {
        key for group in re.findall(r"\{cite(?::[pt])?\}`([^`]+)`", first.source) for key in group.split(",")
    }
    assert cited and cited <= BIB_KEYS


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_parameters_and_profiles(chapter):
    nb = read(chapter)
    params = notebook_parameters(nb)
    assert "seed" in params
    profiles = load_profiles(ROOT / "notebooks" / "profiles.yml")[chapter]
    for name in ("ci", "full"):
        assert set(profiles[name]) <= set(params), f"{chapter}.{name} names unknown parameters"
        for key, value in profiles[name].items():
            assert type(value) is type(params[key]) or isinstance(params[key], float), (chapter, key)
        # the profile passes the runner's own validation (types, rules, paths)
        resolve_parameters(ROOT / "notebooks" / f"{chapter}.ipynb", profile=name)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_rerun_note_and_verdict(chapter):
    cells = code_cells(read(chapter))
    notes = [c for c in cells if f'rerun_note("{chapter}")' in c.source]
    assert len(notes) == 1 and "remove-input" in notes[0].metadata.get("tags", [])
    assert "check(" in cells[-1].source
    assert any("savefig(fig" in c.source for c in cells)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_stored_clean(chapter):
    for cell in code_cells(read(chapter)):
        assert cell.outputs == [] and cell.execution_count is None
        assert "sys.path" not in cell.source and not re.search(r"^\s*[!%]", cell.source, flags=re.M)


def test_key_figure_is_saved_by_the_growing_outliers_chapter():
    sources = "\n".join(c.source for c in code_cells(read("05_growing_outliers")))
    assert 'savefig(fig, "key_figure")' in sources
    assert "store" in notebook_parameters(read("05_growing_outliers"))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_figure_has_alt_text(chapter):
    for cell in code_cells(read(chapter)):
        if "savefig(" in cell.source:
            alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt", "")
            assert re.match(r"Figure \d+\.\d+: \w", alt), (chapter, cell.source[:60])


DRAWING = re.compile(r"\b(plt|fig|ax\w*)\.(?!show\b)\w+\(|\bplt\.subplots\(")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_plotting_code_is_collapsed(chapter):
    """Each section reads question, call, figure, verdict: drawing code sits behind the toggle."""
    for cell in code_cells(read(chapter)):
        tags = set(cell.metadata.get("tags", []))
        if DRAWING.search(cell.source):
            assert tags & {"hide-input", "remove-input"}, (chapter, cell.source[:80])


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_tables_are_tables(chapter):
    """DataFrames are shown with rmtlib.plotting.table (HTML, 3 significant digits), not printed text."""
    for cell in code_cells(read(chapter)):
        assert ".to_string()" not in cell.source, (chapter, cell.source[:80])
        shown_rounded = re.search(r"\.round\(\d\)\s*(\.to_frame\([^)]*\))?\s*$", cell.source)
        assert not shown_rounded, (chapter, cell.source[-80:])
