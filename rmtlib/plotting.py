"""Plotting: the only module that imports matplotlib; one house style.

Numerical functions elsewhere never plot. Chapters call :func:`use_house_style`
once, draw with matplotlib, and save the figures they want to keep with
:func:`savefig`, which writes into the figures directory chosen by the runner
(``python -m rmtlib run`` / ``python -m rmtlib book`` set the environment variable
:data:`FIGURES_DIR_ENV`; outside the runner it is ``figures/`` in the current
directory). :func:`table` shows a DataFrame as a compact HTML table that fits the
page, and :func:`spectrum_player` turns frames of spectra into an interactive
player (matplotlib's own animation: frames and a slider, all inline).
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import matplotlib
import numpy as np

__all__ = [
    "FIGURES_DIR_ENV",
    "HOUSE_STYLE",
    "PALETTE",
    "Table",
    "figures_dir",
    "plot_rule_curves",
    "savefig",
    "spectrum_player",
    "table",
    "use_house_style",
]

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


# --------------------------------------------------------------------------- tables


class Table:
    """A DataFrame shown as a compact HTML table in notebooks and the book, as text elsewhere.

    Numbers carry ``digits`` significant digits; the table scrolls inside its own box
    rather than widening the page. Build it with :func:`table`.
    """

    def __init__(self, frame, digits: int, caption: str | None):
        self.frame = frame
        self.digits = digits
        self.caption = caption

    def _format(self, value) -> str:
        if isinstance(value, (bool, np.bool_)):
            return str(bool(value))
        if isinstance(value, (int, np.integer)):
            return f"{int(value):,}"
        if isinstance(value, (float, np.floating)):
            if not np.isfinite(value):
                return "–" if np.isnan(value) else str(float(value))
            return f"{float(value):.{self.digits}g}"
        return str(value)

    def _formatted(self):
        return self.frame.map(self._format)

    def _shown(self):
        """The formatted frame as a reader sees it: headers in words, no 0..n row numbers."""
        import pandas as pd

        shown = self._formatted()
        shown.columns = [_header(c) for c in shown.columns]
        shown.index.names = [_header(n) if n is not None else None for n in shown.index.names]
        return shown, isinstance(self.frame.index, pd.RangeIndex)

    def _repr_html_(self) -> str:
        shown, numbered = self._shown()
        body = shown.to_html(border=0, classes="rmtlib-table", escape=True, index=not numbered)
        caption = f"<p class='rmtlib-table-caption'>{html.escape(self.caption)}</p>" if self.caption else ""
        return f"<div class='rmtlib-table-wrap' style='max-width:100%;overflow-x:auto'>{caption}{body}</div>"

    def __repr__(self) -> str:
        text = self._formatted().to_string()
        return f"{self.caption}\n{text}" if self.caption else text


def _header(name) -> str:
    """A column name as a header: ``bulk_width`` reads "bulk width", tuples join with " · "."""
    if isinstance(name, tuple):
        return " · ".join(_header(part) for part in name if str(part))
    return str(name).replace("_", " ")


def table(frame, *, digits: int = 3, caption: str | None = None) -> Table:
    """Show ``frame`` (a pandas DataFrame or Series) with ``digits`` significant digits.

    Put units in the column names (``"runtime (s)"``). In a notebook the last
    expression of a cell renders as HTML; elsewhere ``print`` gives aligned text.

    Examples
    --------
    >>> import pandas as pd
    >>> t = table(pd.DataFrame({"error (sigma/sqrt N)": [0.00101898, 12.5], "r": [1, 2000]}), digits=3)
    >>> print(t)
      error (sigma/sqrt N)      r
    0              0.00102      1
    1                 12.5  2,000
    >>> html_text = t._repr_html_()
    >>> "0.00102" in html_text and "<th>0</th>" not in html_text  # no 0..n row numbers
    True
    """
    import pandas as pd

    if isinstance(frame, pd.Series):
        frame = frame.to_frame(name=frame.name if frame.name is not None else "value")
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame or Series, got {type(frame).__name__}")
    if not isinstance(digits, (int, np.integer)) or isinstance(digits, bool) or not 1 <= digits <= 15:
        raise ValueError(f"digits must be an integer in [1, 15], got {digits!r}")
    return Table(frame, int(digits), caption)


# --------------------------------------------------------------------------- explorable figures


class Player:
    """An animation rendered once to matplotlib's inline HTML player (frames and a slider)."""

    def __init__(self, html_text: str, n_frames: int):
        self.html = html_text
        self.n_frames = n_frames

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"<interactive player: {self.n_frames} frames>"


def spectrum_player(
    frames,
    labels,
    *,
    xlabel: str = r"eigenvalue $\lambda$",
    bins: int = 60,
    xlim=None,
    ymax: float | None = None,
    interval_ms: int = 500,
    dpi: int = 72,
    size=(6.4, 3.4),
    alt: str = "",
) -> Player:
    """Animate spectra: one histogram per frame, with the outliers and their predictions marked.

    Parameters
    ----------
    frames : sequence of :class:`rmtlib.experiments.frames.SpectrumFrame`
        One spectrum per frame (at least two).
    labels : sequence of str
        One title per frame (what changes: ``"θ = 1.2σ (above the threshold σ)"``).
    xlabel : str
        Label of the horizontal axis.
    bins : int
        Histogram bins over ``xlim``.
    xlim : (float, float) or None
        Horizontal range; by default it covers every eigenvalue of every frame.
    ymax : float or None
        Top of the density axis; by default 1.15 times the highest bar.
    interval_ms : int
        Time between frames when playing.
    dpi : int
        Resolution of the figure the frames are drawn on.
    alt : str
        What the figure shows, for readers who cannot see it: the frame image's ``alt``
        text (like a static figure's alt text).

    Returns
    -------
    Player
        Renders as matplotlib's ``to_jshtml`` player: the frames as inline WebP images
        (about 15 kB each, a third of a PNG's weight),
        play/step buttons and a labelled slider, nothing loaded from elsewhere.
    """
    import matplotlib.pyplot as plt
    from matplotlib import animation

    frames = list(frames)
    labels = [str(label) for label in labels]
    if len(frames) < 2:
        raise ValueError(f"frames must hold at least two spectra, got {len(frames)}")
    if len(labels) != len(frames):
        raise ValueError(f"labels must hold one title per frame: {len(frames)} frames, {len(labels)} labels")
    if xlim is None:
        low = min(float(f.eigenvalues[0]) for f in frames)
        high = max(float(np.nanmax([f.eigenvalues[-1], *f.predicted])) for f in frames)
        pad = 0.05 * (high - low)
        xlim = (low - pad, high + pad)
    edges = np.linspace(xlim[0], xlim[1], int(bins) + 1)
    heights = [np.histogram(f.eigenvalues, bins=edges, density=True)[0] for f in frames]
    top = ymax if ymax is not None else 1.15 * max(float(h.max()) for h in heights)

    fig, ax = plt.subplots(figsize=size, dpi=dpi, layout="constrained")  # keeps the axis labels inside

    def draw(i: int):
        ax.clear()
        frame = frames[i]
        ax.stairs(heights[i], edges, fill=True, alpha=0.35, color=PALETTE[0], label="eigenvalues of H")
        ax.axvline(frame.edge, color="grey", ls=":", label="bulk edge")
        outside = frame.eigenvalues[frame.eigenvalues > frame.edge + 0.02 * (xlim[1] - xlim[0])]
        ax.plot(
            outside,
            np.full(outside.size, 0.04 * top),
            "o",
            color=PALETTE[1],
            ms=5,
            label="eigenvalues beyond the edge",
        )
        predicted = frame.predicted[np.isfinite(frame.predicted)]
        for j, x in enumerate(predicted):
            ax.axvline(x, color=PALETTE[2], ls="--", lw=1.2, label="predicted outlier" if j == 0 else None)
        ax.set(xlim=xlim, ylim=(0, top), xlabel=xlabel, ylabel="density", title=labels[i])
        ax.legend(loc="upper left")
        return []

    anim = animation.FuncAnimation(fig, draw, frames=len(frames), interval=int(interval_ms), blit=False)
    try:
        text = _webp_frames(anim.to_jshtml(default_mode="once"))
    finally:
        plt.close(fig)
    if not isinstance(alt, str):
        raise TypeError(f"alt must be a string, got {type(alt).__name__}")
    # The first frame is the image's own source, so it shows (with its alt text) before the
    # player's script runs and in readers that run no script.
    first = re.search(r'frames\[0\] = "(data:image/[a-z]+;base64,[^"]+)"', text)
    # (in the script, the base64 text is split over lines ending in a backslash)
    source = 'src="' + re.sub(r"[\\\s]", "", first.group(1)) + '" ' if first else ""
    alt_text = html.escape(alt, quote=True)
    text = text.replace('<img id="_anim_img', f'<img {source}alt="{alt_text}" id="_anim_img', 1)
    slider = re.search(r'<input id="(_anim_slider[0-9a-f]+)"', text)
    if slider:  # a visible label, so that the slider says what it moves through
        label = f'<label class="anim-label" for="{slider.group(1)}">Frame ({len(frames)} in all)</label>'
        text = text.replace(slider.group(0), label + slider.group(0), 1)
    return Player(_self_contained(text), len(frames))


_FRAME = re.compile(r'(frames\[\d+\] = ")data:image/png;base64,([^"]+)"')


def _webp_frames(page: str) -> str:
    """The player's frames re-encoded from PNG to WebP (lossy, quality 80): the same frames and
    pixels, a third of the page weight."""
    import base64
    import io

    from PIL import Image

    def encode(match):
        png = base64.b64decode(re.sub(r"[\\\s]", "", match.group(2)))
        out = io.BytesIO()
        with Image.open(io.BytesIO(png)) as image:
            image.convert("RGB").save(out, "WEBP", quality=80, method=6)
        return f'{match.group(1)}data:image/webp;base64,{base64.b64encode(out.getvalue()).decode()}"'

    return _FRAME.sub(encode, page)


# matplotlib's player draws its buttons with Font Awesome icons from a CDN stylesheet;
# the book loads nothing remote, so the stylesheet goes and the icons become characters
# that common text fonts have (not the media-control symbols, missing from many).
_REMOTE_STYLESHEET = re.compile(r"<link[^>]*href=[\"']https?://[^>]*>\s*")
_ICON = re.compile(r'<i class="fa ([a-z-]+)(?: fa-flip-horizontal)?"></i>')
_ICON_TEXT = {
    "fa-minus": "−",
    "fa-fast-backward": "⇤",
    "fa-step-backward": "◁",
    "fa-play": "▶",
    "fa-pause": "‖",
    "fa-step-forward": "▷",
    "fa-fast-forward": "⇥",
    "fa-plus": "+",
}


def _self_contained(page: str) -> str:
    page = _REMOTE_STYLESHEET.sub("", page)
    page = page.replace('<i class="fa fa-play fa-flip-horizontal"></i>', "◀")
    return _ICON.sub(lambda m: _ICON_TEXT.get(m.group(1), ""), page)


def plot_rule_curves(ax, frame, curves: list[dict], title: str, rules) -> None:
    """The mean rank-error curves (hard and shrunk) of chapter T7 and the rank and error each rule picks.

    ``frame`` and ``curves`` are what :func:`rmtlib.experiments.pruning.synthetic_rule_study` returns,
    ``rules`` the names of its rules (:data:`rmtlib.experiments.pruning.SYNTHETIC_RULES`).
    """
    max_rank = len(curves[0]["hard"]) - 1
    ranks = np.arange(max_rank + 1)
    for name in ("hard", "shrinkage"):
        ax.plot(ranks, np.mean([c[name] for c in curves], axis=0), label=f"rank k, {name}")
    markers = {"mp_edge": "o", "shrinkage": "s", "mp_edge_true_sigma": "^", "free_edge": "D"}
    for rule in rules:
        ax.plot(
            frame[f"kept_{rule}"].mean(),
            (frame[f"error_{rule}"] / frame["norm_S"]).mean(),
            markers[rule],
            ms=8,
            mfc="none",
            mew=1.5,
            label=f"rule {rule}",
        )
    ax.axhline((frame["error_raw"] / frame["norm_S"]).mean(), ls=":", c="gray", label="W itself")
    ax.set_xlabel("number of kept singular values k")
    ax.set_ylabel("|estimate - S|_F / |S|_F")
    ax.set_title(title)
