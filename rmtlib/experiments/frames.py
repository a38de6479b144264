"""Frames of the book's explorable figures: one spectrum of ``H = W + S`` per parameter value.

A frame holds the eigenvalues of one matrix ``H = W + diag(s)``, ``s`` the ``N - r``
classical locations of the bulk law ``nu`` followed by the ``r`` outliers ``thetas``,
with the first-order predictions of :func:`rmtlib.outliers.predict_outliers` for the
same ``thetas``. :func:`rmtlib.plotting.spectrum_player` turns a list of frames into
an interactive player with a slider.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .. import outliers, samplers
from .._validation import check_array, check_generator, check_int, check_real

__all__ = ["SpectrumFrame", "spectrum_frame"]


@dataclasses.dataclass(frozen=True, eq=False)
class SpectrumFrame:
    """The spectrum of one ``H = W + S`` and what the first-order theory says of its outliers.

    Attributes
    ----------
    eigenvalues : ndarray
        All ``N`` eigenvalues of ``H``, ascending.
    thetas : ndarray
        The outlier eigenvalues of ``S``.
    predicted : ndarray
        ``H_sigma(theta_j)`` for the ``theta_j`` that separate (``nan`` for the absorbed ones).
    edge : float
        The right edge of the bulk ``supp(mu_sc(sigma) ⊞ nu)``.
    threshold : float
        The separation threshold: ``theta`` above it produces an outlier.
    """

    eigenvalues: np.ndarray
    thetas: np.ndarray
    predicted: np.ndarray
    edge: float
    threshold: float

    @property
    def n_separated(self) -> int:
        """Number of outliers the first-order theory predicts."""
        return int(np.isfinite(self.predicted).sum())


def spectrum_frame(*, N: int, nu, thetas, sigma: float = 1.0, basis: str = "diagonal", rng) -> SpectrumFrame:
    """Sample ``H = W + S`` (``S`` = bulk quantiles of ``nu`` plus ``thetas``) and predict its outliers.

    Parameters
    ----------
    N : int
        Matrix size, ``N > len(thetas)``.
    nu : Law
        The bulk law of the spectrum of ``S`` (``DiscreteLaw([0.0])`` for a finite-rank ``S``).
    thetas : array_like
        The ``r >= 1`` outlier eigenvalues of ``S``.
    sigma : float
        Noise level, > 0.
    basis : {"diagonal", "haar"}
        Eigenvectors of ``S``, as in :func:`rmtlib.samplers.deformed_wigner`.
    rng : numpy.random.Generator

    Examples
    --------
    >>> import numpy as np
    >>> from rmtlib.laws import DiscreteLaw
    >>> f = spectrum_frame(N=400, nu=DiscreteLaw([0.0]), thetas=[0.5, 3.0], rng=np.random.default_rng(1))
    >>> f.eigenvalues.size, f.n_separated, round(float(f.predicted[1]), 4), round(f.threshold, 6)
    (400, 1, 3.3333, 1.0)
    >>> bool(abs(f.eigenvalues[-1] - f.predicted[1]) < 0.2)
    True
    """
    N = check_int(N, "N", minimum=2)
    thetas = check_array(np.atleast_1d(thetas), "thetas", ndim=1, min_size=1)
    sigma = check_real(sigma, "sigma", positive=True)
    rng = check_generator(rng)
    if thetas.size >= N:
        raise ValueError(f"thetas must hold fewer than N = {N} values, got {thetas.size}")
    s = samplers.spectrum_with_outliers(N, bulk=nu, outliers=thetas)
    H = samplers.deformed_wigner(s, sigma=sigma, basis=basis, rng=rng)
    prediction = outliers.predict_outliers(thetas, nu, sigma)
    predicted = np.where(prediction.separated, prediction.rho, np.nan)
    return SpectrumFrame(
        eigenvalues=np.linalg.eigvalsh(H),
        thetas=thetas,
        predicted=predicted,
        edge=float(prediction.edge_right),
        threshold=float(prediction.threshold_right),
    )
