"""What the book says about the paper it accompanies: no more than the paper's abstract.

The book has only the abstract of arXiv:2507.12182. Sentences that once gave the book's own
choices (its normalization, the power law r = N^alpha, the rectangular model) or the book's
inferences under the paper's name are listed here; none may come back in the prose: the
book's pages, the notebooks' markdown cells, the README and CITATION.cff.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# (phrase, why it says more than the abstract)
FORBIDDEN = [
    ("reproduce, chapter by chapter, the mathematics", "the book does not have the paper's mathematics"),
    ("treats the square model only", "the abstract does not say what the paper leaves out"),
    ("the paper's regime", "the rectangular full-rank case is this book's extension"),
    ("what the paper studies", "the section gives this book's normalization"),
    ("the paper's matrices", "a bulk plus isolated eigenvalues is this book's model of them"),
    ("the paper's setting, from the chapter", "the power law r = N^alpha is this book's design"),
    (
        "the link to pruning below is this book's motivation",
        "the abstract makes pruning the paper's motivation",
    ),
    (
        "whose abstract poses the question of the eigenvalues of deformed wigner matrices `h = r/sqrt(n)",
        "the abstract writes R + S; the normalization is this book's",
    ),
    ("the paper proves", "the book cannot know what the paper proves"),
    ("the paper shows", "the book cannot know what the paper shows"),
    ("the paper derives", "the book cannot know what the paper derives"),
]


def _normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text).lower()


def _prose() -> dict[str, str]:
    """Every prose text of the project, by its path (notebooks: markdown cells only)."""
    texts = {}
    for path in [*sorted((ROOT / "book").glob("*.md")), ROOT / "README.md", ROOT / "CITATION.cff"]:
        texts[path.relative_to(ROOT).as_posix()] = path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        texts[path.relative_to(ROOT).as_posix()] = "\n\n".join(
            "".join(c["source"]) for c in cells if c["cell_type"] == "markdown"
        )
    return texts


def overclaims(text: str) -> list[str]:
    """The forbidden phrases that ``text`` contains (case and line breaks ignored)."""
    flat = _normalize(text)
    return [phrase for phrase, _ in FORBIDDEN if _normalize(phrase) in flat]


def test_the_scan_reads_the_prose_that_names_the_paper():
    texts = _prose()
    assert {"book/intro.md", "README.md", "CITATION.cff", "notebooks/05_growing_outliers.ipynb"} <= set(texts)
    # the scan sees the sentences about the paper, not an empty corpus
    assert sum("afanasiev2025" in t for t in texts.values()) >= 4
    assert sum(_normalize(t).count("the paper's abstract") for t in texts.values()) >= 5


def test_the_matcher_finds_a_forbidden_claim_across_a_line_break():
    assert overclaims("As expected,\nthe Paper\n  proves it.") == ["the paper proves"]
    assert overclaims("the paper's abstract poses it") == []


@pytest.mark.parametrize("name", sorted(_prose()))
def test_no_sentence_says_more_about_the_paper_than_its_abstract(name):
    assert overclaims(_prose()[name]) == [], name
