"""Plotting: the only module that imports matplotlib; one house style.

Numerical functions elsewhere never plot. Chapters call :func:`use_house_style`
once and then use matplotlib directly or the helpers below.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

__all__ = ["HOUSE_STYLE", "use_house_style"]

HOUSE_STYLE = Path(__file__).with_name("house.mplstyle")


def use_house_style() -> None:
    """Apply the rmtlib style (colour-blind-safe palette, readable sizes)."""
    import matplotlib.pyplot as plt

    plt.style.use(str(HOUSE_STYLE))
    matplotlib.rcParams["figure.max_open_warning"] = 0
