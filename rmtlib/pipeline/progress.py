"""Progress bars for long computations: shown when run interactively, quiet in the built book.

Use :func:`progress_bar` around any long loop in rmtlib (sweeps show their tasks
with it). The bar is drawn by tqdm unless the environment variable
:data:`PROGRESS_ENV` is ``0`` (also ``off``, ``false``, ``no``). The runners
(``python -m rmtlib run`` and ``python -m rmtlib book``) set it to ``0`` for the
notebooks they execute, so that executed notebooks and the book carry no
progress-bar output; papermill shows its own cell-by-cell bar in the terminal
instead. In a terminal or an interactive Jupyter session the bar shows.
"""

from __future__ import annotations

import os

__all__ = ["PROGRESS_ENV", "progress_bar", "progress_enabled"]

PROGRESS_ENV = "RMTLIB_PROGRESS"
_OFF = {"0", "off", "false", "no"}


def progress_enabled() -> bool:
    """Return ``False`` when ``$RMTLIB_PROGRESS`` switches progress bars off.

    Examples
    --------
    >>> import os
    >>> os.environ["RMTLIB_PROGRESS"] = "0"
    >>> progress_enabled()
    False
    >>> del os.environ["RMTLIB_PROGRESS"]
    >>> progress_enabled()
    True
    """
    return os.environ.get(PROGRESS_ENV, "1").strip().lower() not in _OFF


def progress_bar(iterable=None, *, desc=None, total=None, unit: str = "it", enabled: bool = True):
    """Return a tqdm bar on stderr: the one progress helper of rmtlib (chapters' loops, sweeps).

    Wraps ``iterable``, or, without one, counts ``total`` steps advanced with
    ``bar.update()``. The bar is silent (drawing nothing, costing nothing) when
    ``enabled`` is false or :func:`progress_enabled` says progress is off.

    Examples
    --------
    >>> import os
    >>> os.environ["RMTLIB_PROGRESS"] = "off"
    >>> sum(progress_bar(range(4), desc="sizes"))
    6
    >>> bar = progress_bar(total=3, desc="tasks", unit="task")
    >>> bar.update(); bar.disable
    True
    >>> del os.environ["RMTLIB_PROGRESS"]
    """
    import sys

    from tqdm import tqdm

    on = enabled and progress_enabled()
    return tqdm(iterable, desc=desc, total=total, unit=unit, leave=False, file=sys.stderr, disable=not on)
