"""Files the pipeline writes: atomic replacement, exclusive locks, folders it owns.

* :func:`write_notebook` writes an executed notebook to a temporary file next to
  its target and renames it into place, so a kill mid-write leaves the previous
  file (or none), never a truncated one.
* :func:`exclusive` holds an advisory lock (``flock``) on a lock file for as long
  as a run writes into a folder or a sweep into a store; the operating system
  releases it when the process ends, however it ends.
* :func:`claim_folder` checks a ``--output`` folder: it must be new, empty, or one
  that ``rmtlib`` made (it then holds the marker file :data:`MARKER`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["MARKER", "Busy", "claim_folder", "exclusive", "write_notebook"]

#: Marks a folder made by ``python -m rmtlib run``; only such a folder is written into again.
MARKER = ".rmtlib-run"


class Busy(RuntimeError):
    """Another process holds the lock."""


def write_notebook(nb, path) -> None:
    """Write ``nb`` (an ``nbformat`` node) to ``path`` atomically: temporary file, then rename.

    Examples
    --------
    >>> import nbformat, pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "chapter.ipynb"
    >>> write_notebook(nbformat.v4.new_notebook(), target)
    >>> [p.name for p in target.parent.iterdir()], nbformat.read(str(target), as_version=4).cells
    (['chapter.ipynb'], [])
    """
    import nbformat

    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it 0600: give it the mode of any new file
        nbformat.write(nb, temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def exclusive(lock_file, busy: str):
    """Hold an exclusive lock on ``lock_file`` (created if needed); if held, raise ``Busy(busy)``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> lock = pathlib.Path(tempfile.mkdtemp()) / "x.lock"
    >>> with exclusive(lock, "another process is writing into x"):
    ...     with exclusive(lock, "another process is writing into x"):
    ...         pass
    Traceback (most recent call last):
    ...
    rmtlib.pipeline.files.Busy: another process is writing into x
    """
    import fcntl

    descriptor = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(busy) from None
        yield
    finally:
        os.close(descriptor)  # releases the lock


def claim_folder(folder, *, option: str = "--output", default: bool = False) -> Path:
    """Make sure ``folder`` can be written by a run: create it, or accept it if empty or made by rmtlib.

    ``default=True`` says the folder is the runner's own default (``_build/runs/<chapter>``),
    accepted even without the marker (made by an older version).

    Raises ``ValueError`` (one line: the folder, the problem, what to do) for a
    path that is a file or lies under one, a folder that cannot be created or
    written, and a non-empty folder that ``rmtlib`` did not make.
    Returns the folder.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{option} {folder} is not a folder: choose a new or empty folder")
    if not default and folder.is_dir() and any(folder.iterdir()) and not (folder / MARKER).is_file():
        raise ValueError(
            f"{option} {folder} is not empty and was not made by `rmtlib run`: "
            "choose a new or empty folder (nothing was written)"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MARKER).touch()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ValueError(
            f"{option} {folder} cannot be created or written ({reason}): choose another folder"
        ) from None
    return folder
