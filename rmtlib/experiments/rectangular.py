"""Chapter T6 (rectangular matrices): Marchenko-Pastur bulk and the BGN outliers of a rank-one
rectangular spike, and the chapter's verdicts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse.linalg

from .. import laws, outliers, samplers, spectra
from .._validation import check_array, check_generator, check_int, check_real
from ..outliers import predict_singular_outliers
from .statistics import KS_PERTURBATION, cell_mean_test, ks_tolerance, ks_verdict

__all__ = [
    "mp_bulk",
    "rectangular_verdicts",
    "singular_spike_draws",
    "singular_spike_table",
    "spec_table",
    "spiked_singular_triplet",
]

# Finite-N bias allowance of the BGN checks: 2/N (measured at N = 100: below 0.6/N on the pooled means).
_T6_BIAS = 2.0


def spiked_singular_triplet(*, N: int, M: int, s: float, sigma: float = 1.0, rng) -> dict[str, float]:
    """One draw of ``W = s u v^T + R/sqrt(N)``: its top singular value and both overlaps.

    ``u`` (N-side) and ``v`` (M-side) are Haar-random unit vectors, the noise is
    Gaussian. Returns ``{"top": s_1(W), "overlap_left": <u, u_1>^2,
    "overlap_right": <v, v_1>^2}`` with ``u_1, v_1`` the top singular vectors of ``W``
    (computed by ARPACK, so ``N x M`` may be large).

    Examples
    --------
    >>> out = spiked_singular_triplet(N=400, M=200, s=3.0, rng=np.random.default_rng(0))
    >>> rho = np.sqrt((9 + 1) * (9 + 0.5)) / 3  # BGN location, about 3.25
    >>> bool(abs(out["top"] - rho) < 0.1)
    True
    """
    N = check_int(N, "N", minimum=2)
    M = check_int(M, "M", minimum=2)
    s = check_real(s, "s", nonnegative=True)
    rng = check_generator(rng)
    S, U, V = samplers.low_rank_signal(N, M, [s], return_vectors=True, rng=rng)
    W = S + samplers.rectangular_noise(N, M, sigma=sigma, rng=rng)
    v0 = np.full(min(N, M), 1 / np.sqrt(min(N, M)))
    left, top, right = scipy.sparse.linalg.svds(W, k=1, v0=v0)
    return {
        "top": float(top[0]),
        "overlap_left": float((left[:, 0] @ U[:, 0]) ** 2),
        "overlap_right": float((right[0] @ V[:, 0]) ** 2),
    }


def singular_spike_draws(
    *,
    N: int,
    gammas,
    s_over_threshold,
    n_seeds: int,
    sigma: float = 1.0,
    noise_variance_factor: float = 1.0,
    rng,
) -> pd.DataFrame:
    """The T6 simulation: :func:`spiked_singular_triplet` on a grid, one row per draw.

    For each ``gamma`` in ``gammas`` (``M = round(gamma N)``) and each ``ratio`` in
    ``s_over_threshold``, ``n_seeds`` draws at ``s = ratio * threshold``, with the
    threshold ``sigma gamma^(1/4)`` of :func:`rmtlib.outliers.predict_singular_outliers`.
    ``noise_variance_factor`` multiplies the variance of the simulated noise only (the
    threshold stays that of ``sigma``): a wrong model that the chapter's verdicts must reject.

    Returns
    -------
    pd.DataFrame
        Columns ``gamma`` (``M / N``), ``ratio``, ``s`` and the outputs of
        :func:`spiked_singular_triplet` (``top``, ``overlap_left``, ``overlap_right``, ...).
    """
    N = check_int(N, "N", minimum=2)
    gammas = check_array(gammas, "gammas", ndim=1, min_size=1)
    ratios = check_array(s_over_threshold, "s_over_threshold", ndim=1, min_size=1)
    n_seeds = check_int(n_seeds, "n_seeds", minimum=1)
    sigma = check_real(sigma, "sigma", positive=True)
    noise_sigma = sigma * np.sqrt(check_real(noise_variance_factor, "noise_variance_factor", positive=True))
    rng = check_generator(rng)
    if np.any(gammas <= 0) or np.any(ratios <= 0):
        raise ValueError("gammas and s_over_threshold must be positive")
    records = []
    for gamma in gammas.tolist():
        M = int(round(gamma * N))
        threshold = outliers.predict_singular_outliers([1.0], gamma=M / N, sigma=sigma).threshold
        for ratio in ratios.tolist():
            for _ in range(n_seeds):
                out = spiked_singular_triplet(N=N, M=M, s=ratio * threshold, sigma=noise_sigma, rng=rng)
                records.append({"gamma": M / N, "ratio": ratio, "s": ratio * threshold, **out})
    return pd.DataFrame(records)


def singular_spike_table(draws, *, sigma: float = 1.0) -> pd.DataFrame:
    """The draws of :func:`singular_spike_draws` averaged per ``(gamma, s)``, beside their BGN limits.

    Returns
    -------
    pd.DataFrame
        One row per ``(gamma, s)``: columns ``gamma``, ``s``, the ``mean`` and ``std``
        of ``ratio``, ``top``, ``overlap_left`` and ``overlap_right`` over the draws
        (two-level column names), and the predictions ``threshold``, ``rho`` (the
        edge below the threshold), ``pred_left`` and ``pred_right`` (0 below it).

    Examples
    --------
    >>> draws = singular_spike_draws(N=200, gammas=[0.5], s_over_threshold=[3.0], n_seeds=2,
    ...                              rng=np.random.default_rng(0))
    >>> table = singular_spike_table(draws)
    >>> bool(abs(table[("top", "mean")] - table["rho"]).max() < 0.1)
    True
    """
    sigma = check_real(sigma, "sigma", positive=True)
    table = draws.groupby(["gamma", "s"]).agg(["mean", "std"]).reset_index()
    predictions = [
        outliers.predict_singular_outliers([s], gamma=g, sigma=sigma)
        for g, s in zip(table["gamma"], table["s"], strict=True)
    ]
    table[("threshold", "")] = [p.threshold for p in predictions]
    table[("rho", "")] = [float(p.rho[0]) for p in predictions]
    table[("pred_left", "")] = [float(p.overlap_left[0]) for p in predictions]
    table[("pred_right", "")] = [float(p.overlap_right[0]) for p in predictions]
    return table


def rectangular_verdicts(
    spectra_by_gamma: dict, draws, *, N: int, sigma: float, far: float = 2.0
) -> list[dict]:
    """T6: Marchenko-Pastur bulk and BGN outliers of ``W = R/sqrt(N) + s u v^T``.

    ``spectra_by_gamma[gamma]`` holds the squared singular values of one noise matrix
    ``N x round(gamma N)``; ``draws`` (a DataFrame with columns ``gamma``, ``s``, ``top``,
    ``overlap_left``, ``overlap_right``) the spiked draws. The Kolmogorov distance to the
    Marchenko-Pastur law is checked per ``gamma``; the top singular value and both
    overlaps against Benaych-Georges-Nadakuditi by the mean error over the cells
    ``(gamma, s)`` with ``s >= far`` times the threshold (Welch t over cells,
    finite-N allowance ``2/N``).

    Power against a noise variance ``sigma^2 (1 + delta)``: each BGN check's ``noise_shift`` is
    the mean over its cells of the prediction's derivative in ``delta`` (:func:`_noise_slope`);
    a Kolmogorov check states it through :func:`~rmtlib.experiments.statistics.ks_verdict`.
    """
    N = check_int(N, "N", minimum=2)
    sigma = check_real(sigma, "sigma", positive=True)
    out = []
    for gamma, sq in spectra_by_gamma.items():
        M = int(round(gamma * N))
        law = laws.MarchenkoPastur(gamma=M / N, sigma=sigma)
        perturbed = [
            laws.MarchenkoPastur(gamma=M / N, sigma=sigma * np.sqrt(1 + e))
            for e in (KS_PERTURBATION, -KS_PERTURBATION)
        ]
        out.append(
            {
                "theorem": "T6",
                "N": N,
                "quantity": f"KS distance, squared singular values vs Marchenko–Pastur, gamma = {M / N:g}",
                **ks_verdict(sq, law, perturbed, n=min(N, M)),
            }
        )
    selected = draws[draws["s"] >= far * sigma * draws["gamma"] ** 0.25]
    groups = list(selected.groupby(["gamma", "s"]))
    columns = {
        "location": ("top", "rho"),
        "overlap_left": ("overlap_left", "overlap_left"),
        "overlap_right": ("overlap_right", "overlap_right"),
    }
    for quantity, (column, field) in columns.items():
        cells, scale, slopes = [], [], []
        for (gamma, s), part in groups:
            predicted = float(getattr(predict_singular_outliers([s], gamma=gamma, sigma=sigma), field)[0])
            cells.append(part[column].to_numpy(dtype=float) - predicted)
            scale.append(abs(predicted))
            slopes.append(_noise_slope(s, gamma=gamma, sigma=sigma, field=field))
        spec = cell_mean_test(cells, scale=float(np.mean(scale)), bias=_T6_BIAS / N)
        spec["noise_shift"] = float(np.mean(slopes))  # the statistic is the mean of the cell means
        out.append(
            {
                "theorem": "T6",
                "N": N,
                "quantity": f"BGN {quantity}: mean error over s >= {far:g} threshold",
                **spec,
            }
        )
    return out


_NOISE_STEP = 1e-4  # relative step in sigma^2 of the symmetric finite differences


def _noise_slope(s: float, *, gamma: float, sigma: float, field: str) -> float:
    """``d/d delta`` of a BGN prediction at noise variance ``sigma^2 (1 + delta)``, ``delta = 0``
    (symmetric finite difference; the spike must lie above the threshold on both sides)."""
    up, down = (
        float(getattr(predict_singular_outliers([s], gamma=gamma, sigma=sigma * np.sqrt(1 + h)), field)[0])
        for h in (_NOISE_STEP, -_NOISE_STEP)
    )
    return (up - down) / (2 * _NOISE_STEP)


def mp_bulk(
    *, N: int, gammas, sigma: float = 1.0, noise_variance_factor: float = 1.0, rng
) -> tuple[pd.DataFrame, dict]:
    """Singular values of one noise matrix ``R/sqrt(N)`` per aspect ratio against Marchenko-Pastur.

    For each ``gamma``, ``M = round(gamma N)`` and the entries' variance is ``sigma^2`` times
    ``noise_variance_factor`` (the law keeps ``sigma``). Returns the table (``gamma = M/N``, ``N``,
    ``M``, the Kolmogorov distance of the squared singular values to the law, its
    :func:`~rmtlib.experiments.statistics.ks_tolerance`, the largest singular value and the edge of
    the law) and the singular values (decreasing) keyed by ``M/N``.

    Examples
    --------
    >>> table, sv = mp_bulk(N=200, gammas=[0.5, 2.0], rng=np.random.default_rng(0))
    >>> table["M"].tolist(), bool((table["ks_distance"] <= table["tolerance"]).all())
    ([100, 400], True)
    """
    N = check_int(N, "N", minimum=2)
    sigma = check_real(sigma, "sigma", positive=True)
    noise_variance_factor = check_real(noise_variance_factor, "noise_variance_factor", positive=True)
    check_generator(rng)
    rows, singular_values = [], {}
    for gamma in check_array(gammas, "gammas", ndim=1, min_size=1):
        M = int(round(gamma * N))
        noise = samplers.rectangular_noise(N, M, sigma=sigma * np.sqrt(noise_variance_factor), rng=rng)
        sv = np.linalg.svd(noise, compute_uv=False)
        singular_values[M / N] = sv
        law = laws.MarchenkoPastur(gamma=M / N, sigma=sigma)
        rows.append(
            {
                "gamma": M / N,
                "N": N,
                "M": M,
                "ks_distance": spectra.kolmogorov_distance(sv**2, law),
                "tolerance": ks_tolerance(sv.size),
                "largest_sv": sv[0],
                "mp_edge": law.singular_values().support()[-1][1],
            }
        )
    return pd.DataFrame(rows), singular_values


def spec_table(specs) -> pd.DataFrame:
    """The chapter's verdict specs as a table indexed by ``quantity``: ``observed``, ``tolerance`` and
    the ``detectable relative error`` of each."""
    return pd.DataFrame(
        {
            "observed": {s["quantity"]: s["observed"] for s in specs},
            "tolerance": {s["quantity"]: s["tolerance"] for s in specs},
            "detectable relative error": {s["quantity"]: s["detectable"] for s in specs},
        }
    )
