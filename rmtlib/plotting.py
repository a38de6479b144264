"""Plotting: the only module that imports matplotlib; one house style.

Numerical functions elsewhere never plot. Chapters call :func:`use_house_style`
once, draw with matplotlib, and save the figures they want to keep with
:func:`savefig`, which writes into the figures directory chosen by the runner
(``python -m rmtlib run`` / ``python -m rmtlib book`` set the environment variable
:data:`FIGURES_DIR_ENV`; outside the runner it is ``figures/`` in the current
directory).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import matplotlib

__all__ = ["FIGURES_DIR_ENV", "HOUSE_STYLE", "PALETTE", "figures_dir", "savefig", "use_house_style"]

HOUSE_STYLE = Path(__file__).with_name("house.mplstyle")
FIGURES_DIR_ENV = "RMTLIB_FIGURES_DIR"
#: The Okabe–Ito palette (colour-blind safe), in the order of the house style's colour cycle.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
_FORMATS = (".png", ".svg", ".pdf")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def use_house_style() -> None:
    """Apply the rmtlib style (colour-blind-safe palette, labelled grid, crisp output).

    Examples
    --------
    >>> use_house_style()
    >>> import matplotlib
    >>> matplotlib.rcParams["savefig.dpi"]
    160.0
    """
    import matplotlib.pyplot as plt

    plt.style.use(str(HOUSE_STYLE))
    matplotlib.rcParams["figure.max_open_warning"] = 0


def figures_dir() -> Path:
    """Return the directory :func:`savefig` writes into (not created here).

    It is ``$RMTLIB_FIGURES_DIR`` when the runner set it, else ``figures/`` in the
    current working directory.

    Examples
    --------
    >>> import os
    >>> os.environ["RMTLIB_FIGURES_DIR"] = "/tmp/chapter-figures"
    >>> str(figures_dir())
    '/tmp/chapter-figures'
    >>> del os.environ["RMTLIB_FIGURES_DIR"]
    """
    configured = os.environ.get(FIGURES_DIR_ENV, "").strip()
    return Path(configured) if configured else Path.cwd() / "figures"


def savefig(fig, name: str) -> Path:
    """Save ``fig`` as ``name`` in :func:`figures_dir` and return the path written.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to save.
    name : str
        A file name without directories, e.g. ``"key_figure"``; the format comes
        from the suffix (``.png``, ``.svg`` or ``.pdf``), PNG when there is none.

    Returns
    -------
    pathlib.Path
        The file written (PNG at the house style's 160 dpi, tight bounding box).

    Examples
    --------
    >>> import os, tempfile
    >>> import matplotlib.pyplot as plt
    >>> os.environ["RMTLIB_FIGURES_DIR"] = tempfile.mkdtemp()
    >>> fig, ax = plt.subplots()
    >>> path = savefig(fig, "density")
    >>> path.name, path.stat().st_size > 0
    ('density.png', True)
    >>> del os.environ["RMTLIB_FIGURES_DIR"]; plt.close(fig)
    """
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"name must be a plain file name (letters, digits, '_', '-', '.'; no directories), got {name!r}"
        )
    path = Path(name)
    if path.suffix.lower() not in _FORMATS:
        if path.suffix:
            raise ValueError(f"name must end in one of {', '.join(_FORMATS)} or have no suffix, got {name!r}")
        path = path.with_suffix(".png")
    target = figures_dir() / path
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target)
    return target
