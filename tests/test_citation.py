"""LICENSE, CITATION.cff and the repository URL: valid, and in agreement with _config.yml and pyproject.toml.

``_config.yml``'s ``repository.url`` is the one place that names the repository: the
launch buttons (Jupyter Book), the setup cell of the chapters, CITATION.cff and the prose
take it from there, and this test finds any other spelling of it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
URL = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]["url"]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
CITATION = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def _cffconvert() -> str:
    # `make venv` installs it in .venv-cff (pyproject's `citation` group): it pins jsonschema<4
    path = ROOT / ".venv-cff" / "bin" / "cffconvert"
    found = str(path) if path.is_file() else shutil.which("cffconvert")
    if found is None:
        pytest.fail("cffconvert is not installed: `make venv` installs it into .venv-cff")
    return found


def _validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([_cffconvert(), "--validate", "-i", str(path)], capture_output=True, text=True)


def test_cffconvert_validates_the_citation_file():
    result = _validate(ROOT / "CITATION.cff")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid according to schema version 1.2.0" in result.stdout


def test_cffconvert_refuses_an_invalid_file(tmp_path):
    broken = tmp_path / "CITATION.cff"
    broken.write_text((ROOT / "CITATION.cff").read_text().replace("type: article", "type: preprint-paper"))
    assert _validate(broken).returncode != 0


def test_citation_agrees_with_the_project():
    assert CITATION["repository-code"] == URL
    assert CITATION["version"] == PROJECT["version"]
    assert CITATION["license"] == PROJECT["license"]["text"] == "MIT"
    assert CITATION["authors"] == [{"name": PROJECT["authors"][0]["name"]}]


def test_citation_references_the_paper_as_the_bibliography_does():
    bib = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    entry = re.search(r"@misc\{afanasiev2025,(.*?)\n\}", bib, flags=re.S).group(1)
    (paper,) = CITATION["references"]
    assert paper["title"] in entry and f"{{{paper['year']}}}" in entry
    assert [a["family-names"] for a in paper["authors"]] == ["Afanasiev", "Berlyand", "Kiyashko"]
    assert "2507.12182" in entry and paper["url"] == "https://arxiv.org/abs/2507.12182"
    assert paper["doi"] == "10.48550/arXiv.2507.12182"


def test_license_is_mit_for_the_contributors():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) 2025-2026 the rmtlib contributors\n")
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text


def test_the_introduction_shows_how_to_cite_both():
    intro = (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
    cite = intro[intro.index("## How to cite") :]
    assert URL in cite and "CITATION.cff" in cite
    assert "afanasiev2025" in cite and "2507.12182" in cite


def test_the_repository_is_named_one_way_everywhere():
    owner_repo = URL.removeprefix("https://github.com/")
    files = [
        ROOT / "README.md",
        ROOT / "CITATION.cff",
        *(ROOT / "book").rglob("*.md"),
        *(ROOT / "notebooks").glob("*.ipynb"),
        *(ROOT / ".github" / "workflows").glob("*.yml"),
    ]
    pattern = re.compile(r"github\.com/([\w.-]+/[\w.-]*rmtlib[\w.-]*)")
    spellings = {
        (path.relative_to(ROOT).as_posix(), found)
        for path in files
        for found in pattern.findall(path.read_text(encoding="utf-8"))
        if found.removesuffix(".git") != owner_repo
    }
    assert not spellings, f"repository URLs other than _config.yml's {URL}: {sorted(spellings)}"
