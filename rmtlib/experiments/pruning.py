"""Experiments of chapters T6 and T7: rectangular spikes, denoising and pruning.

Each function is one simulation or measurement that a chapter plots or checks, written
so that a sweep can call it too: keyword-only parameters where it draws, the randomness
from the required keyword ``rng``, and a ``dict`` (or a list of row dicts) out. The rules
themselves are in :mod:`rmtlib.pruning` and :mod:`rmtlib.network`; the predictions in
:mod:`rmtlib.outliers`.

* :func:`spiked_singular_triplet` (T6): one draw of a rank-one rectangular spike;
  :func:`singular_spike_draws` and :func:`singular_spike_table` (T6): those draws on a grid,
  averaged beside their predictions.
* :func:`rank_error_curve`, :func:`compare_rules` (T7): Frobenius error to a known ``S``.
* :func:`pruning_study` (T7): RMT pruning of a trained network against the baselines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse.linalg

from .. import network, outliers, pruning, samplers
from .._validation import check_array, check_generator, check_int, check_real

if TYPE_CHECKING:
    import pandas

__all__ = [
    "compare_rules",
    "pruning_study",
    "rank_error_curve",
    "singular_spike_draws",
    "singular_spike_table",
    "spiked_singular_triplet",
]


def _check_pair(W, S) -> tuple[np.ndarray, np.ndarray]:
    """``W`` and the known signal ``S``: finite real matrices of one shape."""
    W = check_array(W, "W", ndim=2)
    S = check_array(S, "S", ndim=2)
    if min(W.shape) < 1:
        raise ValueError(f"W must have at least one row and one column, got shape {W.shape}")
    if S.shape != W.shape:
        raise ValueError(f"S must have the shape of W {W.shape}, got {S.shape}")
    return W, S


def singular_spike_draws(
    *,
    N: int,
    gammas,
    s_over_threshold,
    n_seeds: int,
    sigma: float = 1.0,
    noise_variance_factor: float = 1.0,
    rng,
) -> pandas.DataFrame:
    """The T6 simulation: :func:`spiked_singular_triplet` on a grid, one row per draw.

    For each ``gamma`` in ``gammas`` (``M = round(gamma N)``) and each ``ratio`` in
    ``s_over_threshold``, ``n_seeds`` draws at ``s = ratio * threshold``, with the
    threshold ``sigma gamma^(1/4)`` of :func:`rmtlib.outliers.predict_singular_outliers`.
    ``noise_variance_factor`` multiplies the variance of the simulated noise only (the
    threshold stays that of ``sigma``): a wrong model that the chapter's verdicts must reject.

    Returns
    -------
    pandas.DataFrame
        Columns ``gamma`` (``M / N``), ``ratio``, ``s`` and the outputs of
        :func:`spiked_singular_triplet` (``top``, ``overlap_left``, ``overlap_right``, ...).
    """
    import pandas as pd

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


def singular_spike_table(draws, *, sigma: float = 1.0) -> pandas.DataFrame:
    """The draws of :func:`singular_spike_draws` averaged per ``(gamma, s)``, beside their BGN limits.

    Returns
    -------
    pandas.DataFrame
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


def rank_error_curve(W, S, *, sigma: float, max_rank: int) -> dict[str, np.ndarray]:
    """Frobenius errors to ``S`` of the rank-``k`` estimates of ``S`` built from ``W``, ``k = 0..max_rank``.

    ``"hard"`` keeps the top ``k`` singular triplets of ``W`` (truncated SVD);
    ``"shrinkage"`` replaces the kept singular values by
    :func:`~rmtlib.pruning.shrink_singular_values` (those at or below the edge become 0). With
    ``t_i`` the coefficients and ``a_i = u_i^T S v_i``, the squared error is
    ``sum_i t_i^2 - 2 sum_i t_i a_i + |S|_F^2``, so one SVD serves every ``k``.

    Returns
    -------
    dict
        ``{"rank": k, "hard": error, "shrinkage": error}``, arrays of length ``max_rank + 1``.

    Examples
    --------
    >>> W = np.diag([3.0, 2.0, 0.5]); S = np.diag([3.0, 2.0, 0.0])
    >>> rank_error_curve(W, S, sigma=0.1, max_rank=3)["hard"].round(6).tolist()
    [3.605551, 2.0, 0.0, 0.5]
    """
    W, S = _check_pair(W, S)
    sigma = check_real(sigma, "sigma", positive=True)
    max_rank = check_int(max_rank, "max_rank", minimum=0, maximum=min(W.shape))
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    a = np.einsum("ij,ij->j", U[:, :max_rank], S @ Vt[:max_rank].T)
    norm2 = float(np.sum(S**2))
    out = {"rank": np.arange(max_rank + 1)}
    shrunk = pruning.shrink_singular_values(s[:max_rank], gamma=W.shape[1] / W.shape[0], sigma=sigma)
    for name, t in (("hard", s[:max_rank]), ("shrinkage", shrunk)):
        partial = np.concatenate([[0.0], np.cumsum(t**2 - 2 * t * a)])
        out[name] = np.sqrt(np.clip(partial + norm2, 0.0, None))
    return out


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


def compare_rules(
    W, S, *, sigma: float, signal_bulk=(), confidence: float = 0.95, n_draws: int = 20, rng
) -> dict[str, float]:
    """Apply every rule to ``W = S + noise`` and measure the Frobenius error to the known ``S``.

    ``"mp_edge"`` and ``"shrinkage"`` use the noise level fitted by
    :func:`~rmtlib.pruning.noise_level` (what a user without ``S`` can do; a refused fit raises);
    ``"mp_edge_true_sigma"`` is the hard threshold at the Marchenko–Pastur edge of
    the true ``sigma``; ``"free_edge"`` uses the true ``sigma`` and the singular
    values ``signal_bulk`` of the bulk of ``S`` (empty for a finite-rank ``S``).

    Returns
    -------
    dict
        ``sigma_fit``, ``fit_distance``, ``error_raw`` (``|W - S|_F``), and for each
        rule ``kept_<rule>``, ``threshold_<rule>``, ``error_<rule>``.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> S = np.zeros((300, 150)); S[0, 0] = 4.0
    >>> W = S + rng.standard_normal((300, 150)) / np.sqrt(300)
    >>> out = compare_rules(W, S, sigma=1.0, rng=rng)
    >>> out["kept_mp_edge"], out["kept_free_edge"], out["error_shrinkage"] < out["error_mp_edge"]
    (1.0, 1.0, True)
    """
    W, S = _check_pair(W, S)
    svd = np.linalg.svd(W, full_matrices=False)  # one SVD serves the fit and every rule
    fit = pruning.noise_level(W, svd=svd)
    rules = {
        "mp_edge": ("mp_edge", {"sigma": fit.sigma}),
        "shrinkage": ("shrinkage", {"sigma": fit.sigma}),
        "mp_edge_true_sigma": ("mp_edge", {"sigma": sigma}),
        "free_edge": (
            "free_edge",
            {"sigma": sigma, "signal_bulk": signal_bulk, "n_draws": n_draws, "rng": rng},
        ),
    }
    out = {"sigma_fit": fit.sigma, "fit_distance": fit.distance, "error_raw": float(np.linalg.norm(W - S))}
    for name, (rule, extra) in rules.items():
        res = pruning.prune(W, rule, confidence=confidence, svd=svd, **extra)
        out[f"kept_{name}"] = float(res.kept)
        out[f"threshold_{name}"] = res.threshold
        out[f"error_{name}"] = float(np.linalg.norm(res.matrix - S))
    return out


def pruning_study(
    *, hidden=(256, 256), rank_fractions=(0.02, 0.05, 0.1, 0.2, 0.4), max_iter: int = 200, rng
) -> list[dict]:
    """Train one network and compare RMT pruning with the baselines at equal parameter counts.

    Rows (dicts with ``method``, ``fraction_removed``, ``accuracy``, ``ranks``):
    the dense network; the two RMT rules; truncated SVD and magnitude pruning at
    the ranks the RMT rule chose (same parameter count); and both baselines at
    the ranks ``ceil(f min(N, M))`` for each ``f`` in ``rank_fractions`` (every
    layer with at least 20 singular values; smaller layers stay dense in every
    method).

    Examples
    --------
    >>> rows = pruning_study(hidden=(64,), rank_fractions=(0.5,), max_iter=30, rng=np.random.default_rng(0))
    >>> sorted({r["method"] for r in rows})
    ['dense', 'magnitude', 'mp_edge', 'shrinkage', 'truncated_svd']
    """
    rng = check_generator(rng)
    X_train, X_test, y_train, y_test = network.digits_split(rng=rng)
    net = network.train_mlp(X_train, y_train, hidden=hidden, max_iter=max_iter, rng=rng)
    dense = {"method": "dense", "at": "dense", "fraction_removed": 0.0, "ranks": ()}
    rows = [{**dense, "accuracy": net.accuracy(X_test, y_test)}]

    def record(pruned: network.PrunedNetwork, at: str) -> None:
        rows.append(
            {
                "method": pruned.method,
                "at": at,
                "fraction_removed": pruned.fraction_removed,
                "accuracy": pruned.network.accuracy(X_test, y_test),
                "ranks": pruned.ranks,
            }
        )

    for rule in ("mp_edge", "shrinkage"):
        record(network.prune_network(net, rule), "rmt")
    rmt_ranks = rows[-1]["ranks"]
    for method in ("truncated_svd", "magnitude"):
        record(network.prune_network(net, method, ranks=rmt_ranks), "rmt")
    for f in rank_fractions:
        f = check_real(f, "rank_fractions[i]", positive=True, maximum=1.0)
        ranks = [
            int(np.ceil(f * min(W.shape))) if min(W.shape) >= pruning.MIN_SINGULAR_VALUES else None
            for W in net.weights
        ]
        for method in ("truncated_svd", "magnitude"):
            record(network.prune_network(net, method, ranks=ranks), "grid")
    return rows
