"""The first cell of every chapter notebook: install rmtlib where it is missing, else nothing.

A chapter opened from its Colab launch button runs outside the repository, where
``import rmtlib`` fails; this cell installs the package from the repository first. Where
rmtlib imports (the repository's environment, Binder, the book build) it does nothing and
prints nothing. The book hides it (tag ``remove-cell``). The repository URL is
``repository.url`` of ``_config.yml``, the one place that names it; Colab has no
``_config.yml``, so the URL is written into the cell here, and ``tests/test_setup_cell.py``
checks every notebook against it.

Usage::

    python tools/setup_cell.py           # insert or refresh the cell in every notebooks/*.ipynb
    python tools/setup_cell.py --check   # exit 1 naming each notebook whose first cell differs
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
TAG = "remove-cell"
TEMPLATE = """\
# Where rmtlib is not installed (Colab), install it from the repository; elsewhere
# (the repository's environment, Binder) this cell does nothing.
try:
    import rmtlib  # noqa: F401
except ImportError:
    import importlib
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "{requirement}"], check=True)
    importlib.invalidate_caches()"""


def repository_url(root: Path = ROOT) -> str:
    """Return ``repository.url`` of ``_config.yml``, the repository's one URL."""
    return yaml.safe_load((Path(root) / "_config.yml").read_text(encoding="utf-8"))["repository"]["url"]


def requirement(url: str) -> str:
    """Return the pip requirement that installs rmtlib from the repository at ``url``."""
    return f"rmtlib @ git+{url}"


def setup_source(url: str) -> str:
    """Return the source of the setup cell for the repository at ``url``."""
    return TEMPLATE.format(requirement=requirement(url))


def is_setup_cell(cell) -> bool:
    return cell.get("cell_type") == "code" and TAG in cell.get("metadata", {}).get("tags", [])


def refresh(path: Path, url: str) -> bool:
    """Make the setup cell the first cell of the notebook at ``path``; return whether it changed."""
    nb = nbformat.read(str(path), as_version=4)
    cell = nbformat.v4.new_code_cell(setup_source(url), metadata={"tags": [TAG]})
    cell.id = f"{path.stem.split('_')[0]}-setup"
    if nb.cells and is_setup_cell(nb.cells[0]):
        if nb.cells[0].source == cell.source:
            return False
        nb.cells[0].source = cell.source
    else:
        nb.cells.insert(0, cell)
    nbformat.write(nb, str(path))
    return True


def differing(notebooks, url: str) -> list[str]:
    """Return the names of the notebooks whose first cell is not the setup cell for ``url``."""
    found = []
    for path in notebooks:
        cells = nbformat.read(str(path), as_version=4).cells
        first = cells[0] if cells else {}
        if not (is_setup_cell(first) and first.get("source") == setup_source(url)):
            found.append(Path(path).name)
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook differs")
    args = parser.parse_args(argv)
    url = repository_url()
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if args.check:
        bad = differing(notebooks, url)
        for name in bad:
            print(f"notebooks/{name}: the first cell is not the setup cell (run python tools/setup_cell.py)")
        return 1 if bad else 0
    for path in notebooks:
        if refresh(path, url):
            print(f"notebooks/{path.name}: setup cell written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
