"""The environment fingerprint: what it records, the thread count the kernel sees, no machine paths."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from rmtlib.pipeline import fingerprint as fpm
from rmtlib.pipeline.runner import BLAS_THREAD_VARIABLES

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("threads", [1, 2])
def test_the_fingerprint_records_the_blas_threads_of_the_environment_it_is_given(threads):
    fp = fpm.fingerprint("ci", {"seed": 3}, environ=dict.fromkeys(BLAS_THREAD_VARIABLES, str(threads)))
    assert fp["profile"] == "ci" and fp["parameters"] == {"seed": 3}
    assert fp["blas"], "no BLAS library found"
    assert {lib["threads"] for lib in fp["blas"]} == {threads}
    assert all(lib["version"] not in ("", "unknown") for lib in fp["blas"])


def test_the_fingerprint_names_versions_and_cpu_without_paths_of_the_machine():
    import numpy
    import scipy

    fp = fpm.fingerprint()
    assert fp["packages"]["numpy"] == numpy.__version__ and fp["packages"]["scipy"] == scipy.__version__
    assert set(fp["packages"]) == {"numpy", "scipy", "matplotlib", "papermill", "rmtlib"}
    assert fp["python"].startswith(".".join(map(str, sys.version_info[:3])))
    assert fp["cpu"] and fp["cpu_count"] >= 1 and set(fp["lapack"]) == {"numpy", "scipy"}
    text = json.dumps(fp)
    for path in {str(ROOT), sys.prefix, str(Path.home())}:
        assert path not in text, f"the fingerprint holds the machine path {path}"


def test_lock_status_names_each_package_not_at_its_locked_version(tmp_path):
    import numpy

    lock = tmp_path / "lock.txt"
    lock.write_text(
        f"numpy=={numpy.__version__} \\\n    --hash=sha256:00\n"
        "scipy==0.0.1 \\\n    --hash=sha256:00\n    # via rmtlib (pyproject.toml)\n"
        "appnope==0.1 ; sys_platform == 'no-such-platform'\n"
        "no-such-package-here==1.0\n"
    )
    status = fpm.lock_status(lock)
    assert status["file"] == "lock.txt" and status["packages"] == 3
    assert set(status["differences"]) == {"scipy", "no-such-package-here"}
    assert status["differences"]["no-such-package-here"] == "installed none, locked 1.0"
    assert fpm.lock_status(tmp_path / "missing.txt") == {"file": None, "packages": 0, "differences": {}}


def test_differences_name_nested_fields_of_blas_and_packages():
    base = fpm.fingerprint("full", {"seed": 1})
    other = json.loads(json.dumps(base))
    other["parameters"]["seed"] = 7
    other["blas"][0]["threads"] = 4
    assert fpm.differences(base, base) == []
    changed = {field: (old, new) for field, old, new in fpm.differences(base, other)}
    assert changed == {
        "parameters seed": (1, 7),
        f"BLAS of {base['blas'][0]['used_by']}: threads": (base["blas"][0]["threads"], 4),
    }
