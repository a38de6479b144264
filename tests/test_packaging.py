"""A non-editable install holds all of rmtlib (Colab's `pip install "rmtlib @ git+..."`, the CI workflows).

The wheel is built as pip installs it (an isolated build environment with the
setuptools of ``build-system.requires``), from a copy of the package sources so that
nothing is written into the repository.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "rmtlib"


def test_the_wheel_holds_every_module_and_subpackage(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(PACKAGE, source / "rmtlib", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(source)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = tmp_path.glob("rmtlib-*.whl")
    packaged = {name for name in zipfile.ZipFile(wheel).namelist() if name.startswith("rmtlib/")}
    sources = {
        path.relative_to(ROOT).as_posix()
        for path in PACKAGE.rglob("*")
        if path.suffix in {".py", ".mplstyle"} and "__pycache__" not in path.parts
    }
    assert sources - packaged == set(), f"missing from the wheel: {sorted(sources - packaged)}"
    assert any(name.startswith("rmtlib/experiments/") for name in packaged)
