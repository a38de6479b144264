"""The environment fingerprint recorded with every executed chapter.

:func:`fingerprint` returns what a reader needs to get the same numbers: the Python
and package versions (Python, numpy, scipy, matplotlib, papermill, rmtlib), the BLAS
and LAPACK libraries actually loaded by numpy and scipy with their version and thread
count (from ``threadpoolctl``), the CPU model, whether the installed packages are the
locked ones of ``requirements-lock.txt``, and the chapter's profile and parameters.
It holds no path of the machine, so it can be published.

The runner computes it in a fresh interpreter with the kernel's environment
(``environ=``), since the BLAS thread count is fixed when a process loads the library;
``python -m rmtlib.pipeline.fingerprint`` prints that of the current environment as JSON.
:func:`describe` turns it into the one line shown in a chapter's rerun note, and
:func:`differences` lists what differs between two fingerprints.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

__all__ = [
    "FINGERPRINT_PACKAGES",
    "LOCK_FILE",
    "describe",
    "differences",
    "fingerprint",
    "markdown_table",
    "read_lock",
]

#: The packages whose versions the fingerprint records (they decide the numbers).
FINGERPRINT_PACKAGES = ("numpy", "scipy", "matplotlib", "papermill", "rmtlib")
#: The lock file of the pip route, at the repository root (``make lock`` writes it).
LOCK_FILE = "requirements-lock.txt"
_ROOT = Path(__file__).resolve().parents[2]


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def cpu_model() -> str:
    """Return the CPU model name (``/proc/cpuinfo`` on Linux, ``sysctl`` on macOS)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith(("model name", "Model", "cpu model")):
                return line.split(":", 1)[1].strip()
    if sys.platform == "darwin":
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            done = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True, timeout=5
            )
            if done.stdout.strip():
                return done.stdout.strip()
    return platform.processor() or platform.machine() or "unknown"


def _owner(filepath: str) -> str:
    """Return which of numpy and scipy loaded the shared library at ``filepath``."""
    path = Path(filepath).resolve()
    owners = []
    for package in ("numpy", "scipy"):
        with contextlib.suppress(ImportError):
            module = __import__(package)
            home = Path(module.__file__).resolve().parent
            if path.is_relative_to(home) or path.is_relative_to(home.with_name(f"{package}.libs")):
                owners.append(package)
    return ", ".join(owners) or "numpy, scipy"  # a system or conda library shared by both


def blas_libraries() -> list[dict]:
    """Return the BLAS libraries loaded by numpy and scipy: vendor, version, threads, CPU kernel.

    Imports ``numpy`` and ``scipy.linalg`` so that both libraries are loaded.

    Examples
    --------
    >>> libraries = blas_libraries()
    >>> all(lib["threads"] >= 1 and lib["vendor"] for lib in libraries), len(libraries) >= 1
    (True, True)
    """
    import numpy  # noqa: F401
    import scipy.linalg  # noqa: F401
    import threadpoolctl

    found = []
    for info in threadpoolctl.threadpool_info():
        if info.get("user_api") != "blas":
            continue
        found.append(
            {
                "used_by": _owner(info["filepath"]),
                "vendor": info.get("internal_api", "unknown"),
                "version": info.get("version") or "unknown",
                "threads": int(info["num_threads"]),
                "architecture": info.get("architecture", ""),
                "threading_layer": info.get("threading_layer", ""),
                "library": Path(info["filepath"]).name,
            }
        )
    return sorted(found, key=lambda lib: lib["used_by"])


def lapack_libraries() -> dict[str, str]:
    """Return the LAPACK each of numpy and scipy was built against (name and version)."""
    import numpy
    import scipy

    found = {}
    for module in (numpy, scipy):
        with contextlib.suppress(Exception):  # show_config's layout is not a stable API
            lapack = module.show_config(mode="dicts")["Build Dependencies"]["lapack"]
            found[module.__name__] = f"{lapack.get('name', 'unknown')} {lapack.get('version', '')}".strip()
    return found


def read_lock(path=None) -> list:
    """Return the requirements pinned in the lock file, as ``packaging`` requirements with markers.

    Continuation lines and ``--hash`` options are joined and dropped.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> lock = pathlib.Path(tempfile.mkdtemp()) / "lock.txt"
    >>> _ = lock.write_text("numpy==2.2.6 ; python_full_version < '3.11' \\\\\\n    --hash=sha256:ab\\n"
    ...                     "    # via rmtlib (pyproject.toml)\\nsix==1.17.0\\n")
    >>> [str(r) for r in read_lock(lock)]
    ['numpy==2.2.6; python_full_version < "3.11"', 'six==1.17.0']
    """
    from packaging.requirements import Requirement

    path = Path(path) if path is not None else _ROOT / LOCK_FILE
    text = path.read_text().replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        found.append(Requirement(line.split(" --hash", 1)[0].strip()))
    return found


def lock_status(path=None) -> dict:
    """Compare the installed packages with the lock file: ``{"file", "packages", "differences"}``.

    ``differences`` maps each locked package (for this platform and Python) that is not
    installed at its locked version to ``"installed X, locked Y"``. Without a lock file
    (an installed copy of rmtlib outside its repository) ``file`` is ``None``.
    """
    path = Path(path) if path is not None else _ROOT / LOCK_FILE
    if not path.is_file():
        return {"file": None, "packages": 0, "differences": {}}
    locked = [req for req in read_lock(path) if req.marker is None or req.marker.evaluate()]
    different = {}
    for req in locked:
        installed = _version(req.name)
        wanted = next(iter(req.specifier)).version
        if installed != wanted:
            different[req.name] = f"installed {installed or 'none'}, locked {wanted}"
    return {"file": path.name, "packages": len(locked), "differences": different}


def _local_fingerprint() -> dict:
    return {
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "os": f"{platform.system()} {platform.machine()}",
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "packages": {name: _version(name) for name in FINGERPRINT_PACKAGES},
        "blas": blas_libraries(),
        "lapack": lapack_libraries(),
        "lock": lock_status(),
    }


def fingerprint(profile: str | None = None, parameters: dict | None = None, *, environ=None) -> dict:
    """Return the environment fingerprint, with the run's ``profile`` and ``parameters``.

    With ``environ`` (a mapping of environment variables, e.g. the kernel's BLAS thread
    settings) it is measured in a fresh Python process run with those variables on top
    of the current environment, as a chapter's kernel would see them; otherwise in this
    process.

    Examples
    --------
    >>> fp = fingerprint("ci", {"N": 400}, environ={"OPENBLAS_NUM_THREADS": "1"})
    >>> fp["profile"], fp["parameters"], sorted(fp["packages"])[:2]
    ('ci', {'N': 400}, ['matplotlib', 'numpy'])
    >>> {lib["threads"] for lib in fp["blas"] if lib["vendor"] == "openblas"} <= {1}
    True
    """
    if environ is None:
        found = _local_fingerprint()
    else:
        done = subprocess.run(
            [sys.executable, "-m", "rmtlib.pipeline.fingerprint"],
            env={**os.environ, **environ},
            capture_output=True,
            text=True,
            check=True,
        )
        found = json.loads(done.stdout)
    return {**found, "profile": profile, "parameters": dict(parameters or {})}


def _blas_text(libraries: list[dict]) -> str:
    parts = [
        f"{lib['vendor']} {lib['version']} ({lib['used_by']}, {lib['threads']} "
        f"thread{'s' if lib['threads'] != 1 else ''})"
        for lib in libraries
    ]
    return "; ".join(parts) or "no BLAS found"


def describe(fp: dict) -> str:
    """Return a one-line summary of a fingerprint: versions, BLAS and threads, CPU.

    Examples
    --------
    >>> fp = {"python": "3.11.7 (CPython)", "packages": {"numpy": "2.4.6", "rmtlib": "0.1.0"},
    ...       "blas": [{"vendor": "openblas", "version": "0.3.30", "used_by": "numpy", "threads": 1}],
    ...       "cpu": "Xeon"}
    >>> describe(fp)
    'Python 3.11.7 (CPython), numpy 2.4.6, rmtlib 0.1.0; BLAS openblas 0.3.30 (numpy, 1 thread); CPU Xeon'
    """
    packages = ", ".join(f"{name} {version}" for name, version in fp["packages"].items() if version)
    return f"Python {fp['python']}, {packages}; BLAS {_blas_text(fp['blas'])}; CPU {fp['cpu']}"


def _flatten(fp: dict) -> dict[str, object]:
    flat = {}
    for key, value in fp.items():
        if key == "blas":
            for lib in value:
                for field in ("vendor", "version", "threads", "architecture"):
                    flat[f"BLAS of {lib['used_by']}: {field}"] = lib.get(field)
        elif key == "lock":
            flat["packages not at their locked version"] = (
                ", ".join(f"{name} ({text})" for name, text in sorted(value["differences"].items()))
                if value.get("file")
                else "no lock file"
            ) or "none"
        elif isinstance(value, dict):
            for name, item in value.items():
                flat[f"{key} {name}"] = item
        else:
            flat[key] = value
    return flat


def differences(published: dict, rerun: dict) -> list[tuple[str, object, object]]:
    """Return ``(field, published value, rerun value)`` for each field of two fingerprints that differs.

    Nested fields are named in words (``packages numpy``, ``parameters seed``,
    ``BLAS of numpy: threads``).

    Examples
    --------
    >>> a = {"python": "3.11.7", "packages": {"numpy": "2.4.6"}, "parameters": {"seed": 1}}
    >>> b = {"python": "3.11.7", "packages": {"numpy": "2.3.0"}, "parameters": {"seed": 7}}
    >>> differences(a, b)
    [('packages numpy', '2.4.6', '2.3.0'), ('parameters seed', 1, 7)]
    """
    left, right = _flatten(published), _flatten(rerun)
    return [
        (field, left.get(field), right.get(field))
        for field in [*left, *(f for f in right if f not in left)]
        if left.get(field) != right.get(field)
    ]


def _table_rows(fp: dict) -> dict[str, str]:
    rows = {
        "Python": fp["python"],
        "operating system": fp.get("os", ""),
        "CPU": f"{fp['cpu']} ({fp.get('cpu_count')} cores)",
    }
    rows.update({name: version or "not installed" for name, version in fp["packages"].items()})
    for lib in fp["blas"]:
        rows[f"BLAS of {lib['used_by']}"] = (
            f"{lib['vendor']} {lib['version']}, {lib['threads']} thread{'s' if lib['threads'] != 1 else ''}"
            + (f", {lib['architecture']} kernels" if lib.get("architecture") else "")
        )
    for owner, lapack in fp.get("lapack", {}).items():
        rows[f"LAPACK of {owner}"] = lapack
    lock = fp.get("lock") or {}
    if lock.get("file"):
        rows["packages at their locked version"] = (
            f"all {lock['packages']} of {lock['file']}"
            if not lock["differences"]
            else "all but " + ", ".join(f"{n} ({d})" for n, d in sorted(lock["differences"].items()))
        )
    else:
        rows["packages at their locked version"] = "not checked (no lock file)"
    return rows


def markdown_table(fingerprints: dict[str, dict]) -> str:
    """Return a Markdown table of the fingerprints of several chapters (``{chapter: fingerprint}``).

    A value shared by every chapter is shown once; a value that differs names its chapters.
    Profiles and parameters are left out (the table of runs shows them).

    Examples
    --------
    >>> fp = {"python": "3.11.7", "cpu": "Xeon", "cpu_count": 2, "packages": {"numpy": "2.4.6"},
    ...       "blas": [{"used_by": "numpy", "vendor": "openblas", "version": "0.3.30", "threads": 1}]}
    >>> print(markdown_table({"01_a": fp, "02_b": {**fp, "packages": {"numpy": "2.3.0"}}}))
    | component | version |
    |---|---|
    | Python | 3.11.7 |
    | operating system |  |
    | CPU | Xeon (2 cores) |
    | numpy | 2.4.6 (01_a); 2.3.0 (02_b) |
    | BLAS of numpy | openblas 0.3.30, 1 thread |
    | packages at their locked version | not checked (no lock file) |
    """
    per_chapter = {chapter: _table_rows(fp) for chapter, fp in fingerprints.items() if fp}
    if not per_chapter:
        return "No chapter of this build recorded its environment."
    labels = list(dict.fromkeys(label for rows in per_chapter.values() for label in rows))
    lines = ["| component | version |", "|---|---|"]
    for label in labels:
        values: dict[str, list[str]] = {}
        for chapter, rows in per_chapter.items():
            values.setdefault(rows.get(label, "-"), []).append(chapter)
        text = (
            next(iter(values))
            if len(values) == 1
            else "; ".join(f"{value} ({', '.join(chapters)})" for value, chapters in values.items())
        )
        lines.append(f"| {label} | {text.replace('|', '/')} |")
    return "\n".join(lines)


if __name__ == "__main__":  # the runner's probe: this environment's fingerprint as JSON
    print(json.dumps(_local_fingerprint()))
