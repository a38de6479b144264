"""Chapter T2 (the deformed Wigner law): the Kolmogorov distance of one ``H = W + S`` to
``mu_sc(sigma) ⊞ nu`` and the chapter's verdicts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import free_convolution, samplers, spectra
from .._validation import check_generator, check_int, check_real
from .statistics import KS_PERTURBATION, count_test, ks_tolerance, ks_verdict, loglog_slope

__all__ = [
    "deformed_ks",
    "deformed_verdicts",
    "edge_table",
    "ks_slopes",
    "ks_study",
    "split_bulk_counts",
]


def deformed_ks(*, N: int, nu, sigma: float = 1.0, rng) -> dict[str, float]:
    """Kolmogorov distance between the spectrum of ``H = W + diag(s)`` and ``mu_sc(sigma) ⊞ nu``.

    ``s`` holds the ``N`` classical locations (quantiles) of ``nu``.

    Returns
    -------
    dict
        ``ks`` (the distance) and ``tolerance`` (:func:`ks_tolerance` at ``N``).

    Examples
    --------
    >>> import numpy as np
    >>> from rmtlib.laws import Uniform
    >>> out = deformed_ks(N=400, nu=Uniform(low=-1.0, high=1.0), rng=np.random.default_rng(0))
    >>> bool(out["ks"] < out["tolerance"])
    True
    """
    N = check_int(N, "N", minimum=2)
    sigma = check_real(sigma, "sigma", positive=True)
    check_generator(rng)
    law = free_convolution.FreeConvolutionSemicircle(nu, sigma)
    H = samplers.deformed_wigner(nu.quantiles(N), sigma=sigma, rng=rng)
    return {
        "ks": float(spectra.kolmogorov_distance(np.linalg.eigvalsh(H), law)),
        "tolerance": ks_tolerance(N),
    }


def ks_slopes(ks_mean, cases) -> dict[str, float]:
    """The fitted exponent (:func:`~rmtlib.experiments.statistics.loglog_slope`) of the mean
    Kolmogorov distance against ``N`` for each name of ``cases``; ``ks_mean`` is indexed by
    ``(nu, N)`` with a column ``mean``."""
    return {name: loglog_slope(ks_mean.loc[name].index, ks_mean.loc[name]["mean"]) for name in cases}


def split_bulk_counts(s, eigenvalues, law) -> dict:
    """Exact separation in a split bulk: the intervals of the support of ``law`` (``mu_sc ⊞ nu``),
    and how many eigenvalues of ``S`` (``s``) and of ``H`` (``eigenvalues``) lie between the
    midpoints of its gaps (``counts_S``, ``counts_H``, one per interval); ``atoms`` is the number of
    distinct eigenvalues of ``S`` and ``N`` the size of ``S``.

    Examples
    --------
    >>> from rmtlib.free_convolution import FreeConvolutionSemicircle
    >>> from rmtlib.laws import DiscreteLaw
    >>> law = FreeConvolutionSemicircle(DiscreteLaw([-2.0, 2.0]), 0.5)
    >>> out = split_bulk_counts([-2.0, -2.0, 2.0], [-2.1, -1.9, 2.2], law)
    >>> out["counts_S"], out["counts_H"], out["atoms"]
    ([2, 1], [2, 1], 2)
    """
    s = np.asarray(s, dtype=float)
    intervals = law.support()
    cuts = (
        [-np.inf]
        + [0.5 * (intervals[k][1] + intervals[k + 1][0]) for k in range(len(intervals) - 1)]
        + [np.inf]
    )
    return {
        "intervals": intervals,
        "counts_S": np.histogram(s, cuts)[0].tolist(),
        "counts_H": np.histogram(np.asarray(eigenvalues, dtype=float), cuts)[0].tolist(),
        "atoms": int(np.unique(s).size),
        "N": int(s.size),
    }


def deformed_verdicts(
    spectra_by_nu: dict, nus: dict, *, sigma: float, split: dict | None = None
) -> list[dict]:
    """T2: the Kolmogorov distance of each spectrum of ``H = W + S`` to ``mu_sc(sigma) ⊞ nu``, and,
    given ``split`` (:func:`split_bulk_counts` of one matrix), the number of
    intervals of a split bulk and the exact count of eigenvalues in each."""
    sigma = check_real(sigma, "sigma", positive=True)
    out = []
    for name, ev in spectra_by_nu.items():
        law = free_convolution.FreeConvolutionSemicircle(nus[name], sigma)
        perturbed = [
            free_convolution.FreeConvolutionSemicircle(nus[name], sigma * np.sqrt(1 + e))
            for e in (KS_PERTURBATION, -KS_PERTURBATION)
        ]
        out.append(
            {
                "theorem": "T2",
                "quantity": f"Kolmogorov distance to mu_sc ⊞ nu, nu = {name}",
                "N": int(np.size(ev)),
                **ks_verdict(ev, law, perturbed),
            }
        )
    if split is not None:
        N = check_int(split["N"], "N", minimum=2)
        out.append(
            {
                "theorem": "T2",
                "quantity": "number of split-bulk intervals",
                **count_test(split["atoms"], len(split["intervals"])),
                "N": N,
            }
        )
        for k, (expected, found) in enumerate(zip(split["counts_S"], split["counts_H"], strict=True)):
            spec = count_test(int(expected), int(found))
            spec["note"] = "exact separation: counts must be equal"
            out.append(
                {
                    "theorem": "T2",
                    "quantity": f"eigenvalues of H in interval {k + 1} of the split bulk",
                    **spec,
                    "N": N,
                }
            )
    return out


def edge_table(spectra_H: dict, limits: dict, *, N: int) -> pd.DataFrame:
    """Per case (index ``nu``): the left and right edges of the limit law ``limits[case]`` beside the
    smallest and largest eigenvalue of ``spectra_H[case]`` (sorted), and the two gaps in units of
    ``N^(-2/3)``."""
    return pd.DataFrame(
        [
            {
                "nu": name,
                "left edge": limits[name].support()[0][0],
                "smallest eigenvalue": ev[0],
                "right edge": limits[name].support()[-1][1],
                "largest eigenvalue": ev[-1],
                "left gap x N^(2/3)": (ev[0] - limits[name].support()[0][0]) * N ** (2 / 3),
                "right gap x N^(2/3)": (ev[-1] - limits[name].support()[-1][1]) * N ** (2 / 3),
            }
            for name, ev in spectra_H.items()
        ]
    ).set_index("nu")


def ks_study(nus: dict, *, sizes, seeds: int, sigma: float = 1.0, rng) -> pd.DataFrame:
    """:func:`deformed_ks` for each case ``nus[name]``, each size and ``seeds`` matrices, in that order
    of loops: one row per matrix with ``nu`` (the case's name), ``N`` and the distance ``ks``."""
    check_generator(rng)
    return pd.DataFrame(
        [
            {"nu": name, "N": n, **deformed_ks(N=n, nu=nu, sigma=sigma, rng=rng)}
            for name, nu in nus.items()
            for n in sizes
            for _ in range(seeds)
        ]
    )
