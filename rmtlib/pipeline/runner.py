"""The chapter runner: content hash, kernel environment, execution with papermill.

The parameters are read and checked by :mod:`rmtlib.pipeline.parameters`.
:func:`execute`, the one runner of ``run``, ``book`` and notebook sweeps, checks
the parameters again (:func:`~rmtlib.pipeline.parameters.check_parameters`), runs the
notebook and records, in
the executed notebook's metadata under ``"rmtlib"``, the content hash (cells,
parameters, the part of rmtlib a kernel imports), the profile, the parameters, the
run time, the package versions and the environment fingerprint
(:func:`rmtlib.pipeline.fingerprint.fingerprint`).

The kernel the notebook runs in sees these environment variables
(:func:`kernel_environment`): the BLAS thread variables (one thread unless you set
them, :func:`blas_threads_environment`),
``RMTLIB_FIGURES_DIR`` (where :func:`rmtlib.plotting.savefig` writes),
``RMTLIB_PROGRESS=0`` (no tqdm bars in executed notebooks, see
:mod:`rmtlib.pipeline.progress`), ``RMTLIB_PROFILE``, ``RMTLIB_PROFILES`` and ``RMTLIB_VERSIONS``
(the fingerprint in one line), read by :func:`rmtlib.profiles.rerun_note`.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import hashlib
import json
import os
import sys
import time
from importlib import metadata
from pathlib import Path

from ..profiles import profiles_file
from . import files
from .fingerprint import describe, fingerprint
from .parameters import chapter_name, check_parameters

__all__ = [
    "BLAS_THREAD_VARIABLES",
    "NotebookExecutionError",
    "blas_threads_environment",
    "content_hash",
    "execute",
    "kernel_environment",
    "kernel_manager_class",
    "kernel_sources",
    "outputs_hash",
    "package_versions",
]

#: The thread variables of the BLAS and OpenMP libraries; see :func:`blas_threads_environment`.
BLAS_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
_MAIN_PACKAGES = (
    "rmtlib",
    "numpy",
    "scipy",
    "matplotlib",
    "papermill",
    "ipykernel",
    "jupyter-book",
    "sphinx",
    "myst-nb",
    "sphinx-proof",
    "scikit-learn",
)


class NotebookExecutionError(RuntimeError):
    """A cell of a chapter notebook raised; the failed executed notebook is kept."""

    def __init__(self, chapter: str, error: str, cell: int | None, failed_notebook: Path):
        self.chapter = chapter
        self.error = error  # "ExceptionName: message"
        self.failed_notebook = Path(failed_notebook)
        where = f"cell In [{cell}] raised {error}" if cell is not None else error
        super().__init__(f"{chapter}: {where}; the failed executed notebook is kept at {failed_notebook}")


# --------------------------------------------------------------------------- hashing and versions


_PIPELINE = Path(__file__).resolve().parent
_PACKAGE = _PIPELINE.parent


def kernel_sources() -> list[Path]:
    """Every file of rmtlib that a chapter's kernel can import: the package minus ``rmtlib/pipeline``.

    Found recursively, so a new subpackage enters by itself; the pipeline (runner,
    book builder, sweeps, command line) drives the kernels and stays out, so that
    editing it re-executes no chapter.

    Examples
    --------
    >>> names = [p.relative_to(_PACKAGE).as_posix() for p in kernel_sources()]
    >>> "laws.py" in names, "experiments/__init__.py" in names, "house.mplstyle" in names
    (True, True, True)
    >>> any(name.startswith("pipeline/") for name in names)
    False
    """
    found = [*_PACKAGE.rglob("*.py"), *_PACKAGE.rglob("*.mplstyle")]
    return sorted(p for p in found if _PIPELINE not in p.parents)


_VOLATILE_CELL_METADATA = ("execution", "papermill", "collapsed", "scrolled")


def content_hash(notebook, parameters: dict, profile_block: dict | None = None) -> str:
    """Return the SHA-256 of the notebook's cells, the parameters and the :func:`kernel_sources`.

    Cells enter with their type, source and metadata (tags, figure alt text...);
    outputs and execution metadata do not: executing a notebook does not change
    the hash; editing a cell, its metadata, a parameter or a kernel source does.
    ``profile_block`` (the chapter's entry of ``profiles.yml``, which the rerun
    note displays) enters too when given.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    >>> content_hash(nb, {"N": 4}) == content_hash(nb, {"N": 4}) != content_hash(nb, {"N": 5})
    True
    """
    import nbformat

    nb = notebook if isinstance(notebook, dict) else nbformat.read(str(notebook), as_version=4)
    digest = hashlib.sha256(b"rmtlib content hash v3\n")
    cells = [
        [
            c["cell_type"],
            c["source"],
            {k: v for k, v in c.get("metadata", {}).items() if k not in _VOLATILE_CELL_METADATA},
        ]
        for c in nb["cells"]
        if "injected-parameters" not in c.get("metadata", {}).get("tags", [])
    ]
    digest.update(json.dumps(cells, sort_keys=True).encode())
    digest.update(json.dumps(parameters, sort_keys=True).encode())
    digest.update(json.dumps(profile_block or {}, sort_keys=True).encode())
    for source in kernel_sources():
        name = source.relative_to(_PACKAGE).as_posix()
        digest.update(name.encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()


def outputs_hash(notebook) -> str:
    """Return the SHA-256 of every cell's outputs: stored with an executed notebook, it tells
    whether the outputs were edited since the run (a cache entry is then executed again).

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells = [nbformat.v4.new_code_cell("1", outputs=[nbformat.v4.new_output("stream", text="1")])]
    >>> before = outputs_hash(nb)
    >>> nb.cells[0].outputs[0].text = "2"
    >>> before == outputs_hash(nb)
    False
    """
    outputs = [cell.get("outputs", []) for cell in notebook["cells"]]
    return hashlib.sha256(json.dumps(outputs, sort_keys=True).encode()).hexdigest()


def package_versions() -> dict[str, str]:
    """Return the versions of Python and of the main packages the book is built with.

    Examples
    --------
    >>> versions = package_versions()
    >>> sorted(k for k in ("python", "numpy", "rmtlib") if k in versions)
    ['numpy', 'python', 'rmtlib']
    """
    versions = {"python": sys.version.split()[0]}
    for name in _MAIN_PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return versions


# --------------------------------------------------------------------------- execution


def blas_threads_environment() -> dict[str, str]:
    """Return the BLAS/OpenMP thread variables of every process that runs chapter or sweep code.

    The one rule, for a chapter's kernel (``run``, ``book``), a sweep worker and the
    notebook kernels it starts: **one thread per process, unless you set the variable
    yourself** (``OMP_NUM_THREADS=4 python -m rmtlib run ...``), in which case your
    value is kept. Small and medium problems gain nothing from a second thread, and two
    processes each running two threads on two cores slow each other down 5-10x; the
    book and sweeps get their parallelism from processes instead.

    Examples
    --------
    >>> sorted(blas_threads_environment()) == sorted(BLAS_THREAD_VARIABLES)
    True
    """
    return {name: os.environ.get(name, "1") for name in BLAS_THREAD_VARIABLES}


def kernel_environment(notebook, figures_dir, profile: str | None) -> dict[str, str]:
    """Return the environment variables a chapter's kernel runs with (listed in the module docstring)."""
    return {
        "RMTLIB_FIGURES_DIR": str(Path(figures_dir).resolve()),
        "RMTLIB_PROGRESS": "0",
        "RMTLIB_PROFILE": profile or "custom",
        "RMTLIB_PROFILES": str(profiles_file(notebook)),
        **blas_threads_environment(),
    }


def kernel_manager_class():
    """The kernel manager of the chapters' kernels: IPC sockets in Jupyter's runtime folder.

    A chapter's kernel talks only to the process that started it, on the same machine; over
    local (IPC) sockets, rather than unencrypted TCP, the kernel has nothing to warn about
    ("Kernel is running over TCP without encryption"). Where IPC sockets are not available
    (Windows), the default TCP transport is kept.
    """
    from jupyter_client import AsyncKernelManager

    if os.name == "nt":
        return AsyncKernelManager
    return _ipc_kernel_manager()


#: Unix socket paths hold at most 107 bytes; the kernel's sockets add a port number ("-12345").
_LONGEST_SOCKET_PATH = 100


@functools.cache
def _ipc_kernel_manager():
    import uuid

    from jupyter_client import AsyncKernelManager
    from jupyter_core.paths import jupyter_runtime_dir

    class IpcKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            runtime = Path(jupyter_runtime_dir())
            connection_file = str(runtime / f"kernel-rmtlib-{uuid.uuid4().hex[:12]}.json")
            sockets = connection_file.removesuffix(".json") + "-ipc"
            if len(sockets.encode()) > _LONGEST_SOCKET_PATH:  # too long for a Unix socket: keep TCP
                return
            runtime.mkdir(parents=True, exist_ok=True)
            self.transport, self.connection_file, self.ip = "ipc", connection_file, sockets

    return IpcKernelManager


@contextlib.contextmanager
def _environment(variables: dict[str, str]):
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def execute(
    notebook,
    parameters: dict,
    output,
    *,
    profile: str | None = None,
    figures_dir=None,
    kernel_name: str | None = "python3",
    progress_bar: bool = True,
    content_hash_value: str | None = None,
):
    """Execute ``notebook`` with ``parameters`` into ``output``: the runner of ``run``, ``book`` and sweeps.

    ``parameters`` pass :func:`check_parameters` first (the notebook's names and
    types, the common rules and the chapter's rules in ``profiles.yml``), so a
    refused value never starts a kernel. The kernel runs in the notebook's directory
    with :func:`kernel_environment` (the BLAS thread rule of
    :func:`blas_threads_environment`); figures saved with
    :func:`rmtlib.plotting.savefig` go to ``figures_dir`` (default: ``figures/``
    next to ``output``; emptied first). ``profile`` labels the run (``ci``,
    ``full``, ``sweep``; ``None`` is ``custom``). The executed notebook records the
    run in its metadata under ``"rmtlib"``. On a failing cell the executed notebook
    is kept next to ``output`` as ``<name>.failed.ipynb`` (``output`` itself is not
    written) and :class:`NotebookExecutionError` names the chapter, the cell and the
    error.

    Returns the executed notebook (an ``nbformat`` node).
    """
    import shutil

    import nbformat
    import papermill
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    notebook, output = Path(notebook).resolve(), Path(output)
    figures_dir = Path(figures_dir if figures_dir is not None else output.parent / "figures").resolve()
    parameters = check_parameters(notebook, parameters)
    chapter = chapter_name(notebook)
    output.parent.mkdir(parents=True, exist_ok=True)
    running = output.with_name(f"{chapter}.running.ipynb")
    failed = output.with_name(f"{chapter}.failed.ipynb")
    failed.unlink(missing_ok=True)
    shutil.rmtree(figures_dir, ignore_errors=True)
    figures_dir.mkdir(parents=True)
    digest = content_hash_value or content_hash(notebook, parameters)
    env = kernel_environment(notebook, figures_dir, profile)
    env["RMTLIB_VERSIONS"] = describe(fp := fingerprint(profile or "custom", parameters, environ=env))
    start = time.perf_counter()
    try:
        with _environment(env):
            papermill.execute_notebook(
                str(notebook),
                str(running),
                parameters=parameters,
                kernel_name=kernel_name,
                cwd=str(notebook.parent),
                progress_bar=progress_bar,
                log_output=False,
                kernel_manager_class=kernel_manager_class(),
                # once the cells ran (or on Ctrl-C) the kernel has nothing left to do: stop it at once,
                # rather than let it answer a request on sockets already closed (a traceback on stderr)
                shutdown_kernel="immediate",
            )
    except PapermillExecutionError as exc:
        running.replace(failed)
        raise NotebookExecutionError(chapter, f"{exc.ename}: {exc.evalue}", exc.exec_count, failed) from None
    except DeadKernelError:
        if running.is_file():
            running.replace(failed)
        else:
            shutil.copyfile(notebook, failed)
        error = "DeadKernelError: the kernel died (killed, or out of memory: try smaller sizes)"
        raise NotebookExecutionError(chapter, error, None, failed) from None
    except BaseException:
        running.unlink(missing_ok=True)
        raise
    runtime = time.perf_counter() - start
    nb = nbformat.read(str(running), as_version=4)
    nb.metadata["rmtlib"] = {
        "chapter": chapter,
        "content_hash": digest,
        "profile": profile or "custom",
        "parameters": parameters,
        "runtime_s": round(runtime, 2),
        "executed_at": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "packages": package_versions(),
        "fingerprint": fp,
        "figures": sorted(p.name for p in figures_dir.iterdir()),
        "outputs_hash": outputs_hash(nb),
    }
    try:
        files.write_notebook(nb, output)
    finally:
        running.unlink(missing_ok=True)
    return nb
