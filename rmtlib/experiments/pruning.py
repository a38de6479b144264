"""Chapter T7 (pruning): the pruning rules against the rank-error curve on synthetic matrices
(finite-rank and full-rank signals), as the number of outliers grows, and on a trained network.

The rules themselves are in :mod:`rmtlib.pruning` and :mod:`rmtlib.network`; the predictions in
:mod:`rmtlib.outliers` and :mod:`rmtlib.information_plus_noise`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import laws, network, outliers, pruning, samplers
from .._validation import check_array, check_choice, check_generator, check_int, check_real
from ..samplers import power_law_bulk
from .statistics import t_interval

__all__ = [
    "pruning_verdicts",
    "layer_fits",
    "PRUNING_THRESHOLDS",
    "SYNTHETIC_RULES",
    "bulk_width_sweep",
    "compare_rules",
    "miscalibration",
    "network_study",
    "pruning_rule_counts",
    "pruning_study",
    "rank_error_curve",
    "rule_count_extremes",
    "rule_count_table",
    "rule_counts_by_rank",
    "rule_table",
    "shrinkage_error_prediction",
    "synthetic_rule_study",
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


SYNTHETIC_RULES = ("mp_edge", "shrinkage", "mp_edge_true_sigma", "free_edge")


def _signal(kind, N, M, spikes, bulk_width, outliers_of_S, rng):
    if kind == "finite_rank":
        return samplers.low_rank_signal(N, M, spikes, rng=rng), []
    S, _, _, values = samplers.rectangular_signal(
        N, M, bulk=laws.Uniform(0.0, bulk_width), outliers=outliers_of_S, return_vectors=True, rng=rng
    )
    return S, values[: -len(outliers_of_S)]


def synthetic_rule_study(
    *,
    N: int,
    M: int,
    signal: str,
    sigma: float = 1.0,
    n_seeds: int,
    max_rank: int,
    spikes=(),
    bulk_width: float = 1.0,
    outliers_of_S=(),
    rng,
) -> tuple[pd.DataFrame, list[dict]]:
    """``n_seeds`` draws of ``W = S + R / sqrt(N)``: the rules of
    :func:`~rmtlib.experiments.pruning.compare_rules` and the rank-error curve of
    :func:`~rmtlib.experiments.pruning.rank_error_curve` (divided by ``|S|_F``).

    ``signal="finite_rank"``: ``S`` has the singular values ``spikes``; ``"full_rank"``: a bulk
    uniform on ``[0, bulk_width]`` plus ``outliers_of_S`` (Haar singular vectors in both).
    Returns the table of rules (one row per draw, with ``norm_S``) and the curves.

    Examples
    --------
    >>> rows, curves = synthetic_rule_study(N=120, M=60, signal="finite_rank", spikes=[4.0], n_seeds=1,
    ...                                     max_rank=5, rng=np.random.default_rng(0))
    >>> int(rows["kept_mp_edge"].iloc[0]), len(curves[0]["hard"])
    (1, 6)
    """
    N = check_int(N, "N", minimum=2)
    M = check_int(M, "M", minimum=2)
    check_choice(signal, "signal", ("finite_rank", "full_rank"))
    sigma = check_real(sigma, "sigma", positive=True)
    n_seeds = check_int(n_seeds, "n_seeds", minimum=1)
    max_rank = check_int(max_rank, "max_rank", minimum=1)
    check_generator(rng)
    rows, curves = [], []
    for _ in range(n_seeds):
        S, bulk = _signal(signal, N, M, spikes, bulk_width, outliers_of_S, rng)
        W = S + samplers.rectangular_noise(N, M, sigma=sigma, rng=rng)
        rows.append(compare_rules(W, S, sigma=sigma, signal_bulk=bulk, rng=rng))
        curve = rank_error_curve(W, S, sigma=sigma, max_rank=max_rank)
        curves.append({k: v / np.linalg.norm(S) for k, v in curve.items() if k != "rank"})
        rows[-1]["norm_S"] = float(np.linalg.norm(S))
    return pd.DataFrame(rows), curves


def rule_table(frame: pd.DataFrame, rules=SYNTHETIC_RULES) -> pd.DataFrame:
    """Mean over draws of the number kept, the threshold and the relative Frobenius error per rule."""
    return pd.DataFrame(
        {
            rule: {
                "kept (mean)": frame[f"kept_{rule}"].mean(),
                "threshold (mean)": frame[f"threshold_{rule}"].mean(),
                "relative error (mean)": (frame[f"error_{rule}"] / frame["norm_S"]).mean(),
            }
            for rule in rules
        }
    ).T


def shrinkage_error_prediction(spikes, *, gamma: float, sigma: float) -> tuple[float, int]:
    """The limit of the relative Frobenius error of the shrinkage rule for a finite-rank ``S`` and
    the number of singular values above the threshold (Benaych-Georges and Nadakuditi 2012).

    A separated spike ``s`` leaves ``s^2 (1 - c)`` with ``c`` the product of its two squared
    overlaps; a spike below the threshold leaves ``s^2``.

    Examples
    --------
    >>> err, kept = shrinkage_error_prediction([3.0, 0.2], gamma=0.5, sigma=1.0)
    >>> round(err, 4), kept
    (0.402, 1)
    """
    s = np.asarray(spikes, dtype=float)
    p = outliers.predict_singular_outliers(s, gamma=gamma, sigma=sigma)
    c = p.overlap_left * p.overlap_right
    error = np.sqrt(np.sum(np.where(p.separated, s**2 * (1 - c), s**2))) / np.linalg.norm(s)
    return float(error), int(p.separated.sum())


PRUNING_THRESHOLDS = (
    "mp_edge_fitted_sigma",
    "mp_edge_true_sigma",
    "gavish_donoho_unknown_noise",
    "gavish_donoho_true_sigma",
    "equivalent_edge_oracle",
)


def pruning_rule_counts(
    *,
    N: int,
    M: int,
    alpha: float,
    sigma: float = 1.0,
    s_low: float = 2.5,
    spacing: float = 0.1,
    scale: float = 1.5,
    power: float = 2.0,
    rng,
) -> dict[str, float]:
    """One ``W = R / sqrt(N) + S``, ``S`` with a :func:`power_law_bulk` and ``r = round(min(N,
    M)^alpha)`` outliers ``s_low + j spacing`` (Haar singular vectors): for each threshold, how
    many singular values it keeps, how many of the ``r`` signal directions it drops and how many
    noise (bulk) directions it keeps.

    Thresholds (:data:`PRUNING_THRESHOLDS`): the Marchenko-Pastur edge with a Tracy-Widom margin
    (:func:`~rmtlib.pruning.bulk_edge`) of the noise level fitted to the middle of the spectrum
    (:func:`~rmtlib.pruning.noise_level`) and of the true ``sigma``; Gavish and Donoho's hard
    threshold with unknown and with known noise; the oracle ``equivalent_edge``, the upper edge
    of the information-plus-noise law of the bulk of ``S`` (it needs the bulk of ``S`` and
    ``sigma``). Keys ``<threshold>_kept``, ``<threshold>_signal_dropped``,
    ``<threshold>_noise_kept``, ``<threshold>`` (the value); ``predicted_<...>`` are the same
    counts read off the deterministic equivalent instead of the simulation (for the thresholds
    that do not depend on the draw).

    Examples
    --------
    >>> out = pruning_rule_counts(N=200, M=100, alpha=0.25, rng=np.random.default_rng(0))
    >>> out["r"], out["equivalent_edge_oracle_signal_dropped"]
    (3.0, 0.0)
    """
    N = check_int(N, "N", minimum=20)
    M = check_int(M, "M", minimum=20)
    alpha = check_real(alpha, "alpha", minimum=0.0, maximum=1.0)
    sigma = check_real(sigma, "sigma", positive=True)
    check_generator(rng)
    n = min(N, M)
    r = min(max(1, round(n**alpha)), n // 2)
    out_s = s_low + spacing * np.arange(r)
    bulk = power_law_bulk(n - r, scale=scale, power=power)
    first = outliers.predict_singular_outliers_over_bulk(out_s, bulk, sigma=sigma, shape=(N, M))
    if not np.all(first.separated):
        raise ValueError(f"s_low = {s_low} is below the separation threshold {first.threshold:.4g}")
    S = samplers.low_rank_signal(N, M, np.r_[bulk, out_s], rng=rng)
    W = S + samplers.rectangular_noise(N, M, sigma=sigma, rng=rng)
    sv = np.linalg.svd(W, compute_uv=False)
    fitted = pruning.noise_level(W, max_distance=1.0).sigma  # the fit is poor by design here
    thresholds = {
        "mp_edge_fitted_sigma": pruning.bulk_edge(N, M, fitted),
        "mp_edge_true_sigma": pruning.bulk_edge(N, M, sigma),
        "gavish_donoho_unknown_noise": pruning.gavish_donoho_threshold(sv, (N, M)),
        "gavish_donoho_true_sigma": pruning.gavish_donoho_threshold(sv, (N, M), sigma=sigma),
        "equivalent_edge_oracle": first.edge,
    }
    equivalent = outliers.rectangular_deterministic_equivalent(np.r_[bulk, out_s], sigma, (N, M))
    predicted = equivalent.singular_values[::-1]
    result: dict[str, float] = {"r": float(r), "fitted_sigma": float(fitted)}
    for name, value in thresholds.items():
        for prefix, values in (("", sv), ("predicted_", predicted)):
            if prefix and name in ("mp_edge_fitted_sigma", "gavish_donoho_unknown_noise"):
                continue
            kept = int(np.sum(values > value))
            result[f"{prefix}{name}_kept"] = float(kept)
            result[f"{prefix}{name}_signal_dropped"] = float(np.sum(values[:r] <= value))
            result[f"{prefix}{name}_noise_kept"] = float(np.sum(values[r:] > value))
        result[name] = float(value)
    return result


def layer_fits(layers) -> pd.DataFrame:
    """The Marchenko-Pastur noise fit of each weight matrix in ``layers``: one row per layer with its
    ``shape``, the fitted ``sigma``, the Kolmogorov distance of the fit, the refusal threshold of
    :func:`rmtlib.pruning.noise_level` and the number of singular values above the fitted edge.

    Examples
    --------
    >>> W = samplers.rectangular_noise(200, 100, sigma=1.0, rng=np.random.default_rng(0))
    >>> fit = layer_fits([W]).iloc[0]
    >>> round(float(fit["sigma"]), 1), bool(fit["ks_distance"] <= fit["refusal_threshold"])
    (1.0, True)
    """
    rows = []
    for i, W in enumerate(layers):
        fit = pruning.noise_level(W, max_distance=1.0)
        n = min(W.shape)
        rows.append(
            {
                "layer": i,
                "shape": W.shape,
                "sigma": fit.sigma,
                "ks_distance": fit.distance,
                "refusal_threshold": pruning.noise_fit_threshold(n),
                "kept_above_threshold": int(
                    np.sum(np.linalg.svd(W, compute_uv=False) > pruning.bulk_edge(*W.shape, fit.sigma))
                ),
            }
        )
    return pd.DataFrame(rows)


def miscalibration(full: pd.DataFrame, *, sigma: float, n_outliers: int, actual_edge: float) -> pd.Series:
    """The full-rank study of :func:`synthetic_rule_study` summarised: the true and the fitted noise
    level, the mean threshold of each edge rule, the largest bulk singular value of one draw of ``W``
    (``actual_edge``) and how many bulk singular values the true-sigma Marchenko-Pastur edge keeps
    (kept minus the ``n_outliers`` outliers of ``S``)."""
    return pd.Series(
        {
            "true sigma": sigma,
            "sigma fitted to the middle quantiles": full["sigma_fit"].mean(),
            "MP edge of the true sigma (+TW margin)": full["threshold_mp_edge_true_sigma"].mean(),
            "MP edge of the fitted sigma (+TW margin)": full["threshold_mp_edge"].mean(),
            "free-convolution edge (Monte Carlo, 95%)": full["threshold_free_edge"].mean(),
            "largest bulk singular value of W (one draw)": actual_edge,
            "bulk singular values kept, MP edge of the true sigma": (
                full["kept_mp_edge_true_sigma"].mean() - n_outliers
            ),
        }
    )


def bulk_width_sweep(*, N: int, M: int, bulk_widths, outliers_of_S, sigma: float = 1.0, rng) -> pd.DataFrame:
    """One full-rank ``W = S + R / sqrt(N)`` per width: ``S`` with a bulk uniform on ``[0, width]``
    plus ``outliers_of_S``; one row per width with ``bulk_width`` and :func:`compare_rules`."""
    check_generator(rng)
    rows = []
    for width in bulk_widths:
        S, bulk = _signal("full_rank", N, M, (), width, outliers_of_S, rng)
        W = S + samplers.rectangular_noise(N, M, sigma=sigma, rng=rng)
        rows.append({"bulk_width": width, **compare_rules(W, S, sigma=sigma, signal_bulk=bulk, rng=rng)})
    return pd.DataFrame(rows)


def rule_counts_by_rank(
    *, N: int, M: int, alphas, sigma: float = 1.0, s_low: float = 2.5, spacing: float = 0.1, rng
) -> pd.DataFrame:
    """:func:`pruning_rule_counts` for each exponent in ``alphas`` (in order, one draw each), indexed by
    the number of outliers ``r``."""
    counts = pd.DataFrame(
        [
            pruning_rule_counts(N=N, M=M, alpha=a, sigma=sigma, s_low=s_low, spacing=spacing, rng=rng)
            for a in alphas
        ]
    )
    counts.index = pd.Index(counts["r"].astype(int), name="r")
    return counts


def rule_count_table(counts: pd.DataFrame, rules=PRUNING_THRESHOLDS) -> pd.DataFrame:
    """``"signal dropped / noise kept"`` per rule (columns) and number of outliers (rows) of
    :func:`rule_counts_by_rank`."""
    table = pd.DataFrame(
        {
            rule: counts[f"{rule}_signal_dropped"].map("{:.0f}".format)
            + " / "
            + counts[f"{rule}_noise_kept"].map("{:.0f}".format)
            for rule in rules
        },
        index=counts.index,
    )
    table.columns.name = "signal dropped / noise kept"
    return table


def rule_count_extremes(counts: pd.DataFrame, rules=PRUNING_THRESHOLDS) -> dict[str, float]:
    """The numbers the chapter's text quotes from :func:`rule_counts_by_rank`: per rule, the noise
    directions kept with the fewest outliers (``noise_kept_<rule>``, first row) and the signal
    directions dropped with the most (``signal_dropped_max_<rule>``, last row), and the noise
    directions the true-sigma edge is predicted to keep with the fewest (``pred_noise_kept_mp``)."""
    first, last = counts.iloc[0], counts.iloc[-1]
    out = {}
    for rule in rules:
        out[f"noise_kept_{rule}"] = float(first[f"{rule}_noise_kept"])
        out[f"signal_dropped_max_{rule}"] = float(last[f"{rule}_signal_dropped"])
    out["pred_noise_kept_mp"] = float(first["predicted_mp_edge_true_sigma_noise_kept"])
    return out


def network_study(*, hidden, rank_fractions, max_iter: int, rngs) -> pd.DataFrame:
    """:func:`pruning_study` for one network per generator in ``rngs``, the rows of all networks with
    their index in ``seed``."""
    return pd.DataFrame(
        [
            {**row, "seed": i}
            for i, rng in enumerate(rngs)
            for row in pruning_study(
                hidden=tuple(hidden), rank_fractions=tuple(rank_fractions), max_iter=max_iter, rng=rng
            )
        ]
    )


def pruning_verdicts(
    finite: pd.DataFrame,
    full: pd.DataFrame,
    fits: pd.DataFrame,
    *,
    spikes,
    outliers_of_S,
    gamma: float,
    sigma: float,
    N: int,
) -> list[dict]:
    """T7: on the finite-rank signal (``finite``, :func:`synthetic_rule_study` rows of ``spikes``), the
    shrinkage rule's relative Frobenius error against its BGN limit
    (:func:`shrinkage_error_prediction` with ``gamma`` and ``sigma``) and the number of singular
    values the MP-edge rule keeps; on the full-rank signal (``full``), the number the oracle
    free-convolution edge keeps against the ``outliers_of_S``; for each trained layer of ``fits``
    (:func:`layer_fits`), the Kolmogorov distance of its Marchenko-Pastur fit.
    """
    N = check_int(N, "N", minimum=2)
    predicted_error, predicted_kept = shrinkage_error_prediction(spikes, gamma=gamma, sigma=sigma)
    n_seeds = len(finite)
    shrink_err = finite["error_shrinkage"] / finite["norm_S"]
    specs = [
        {
            "theorem": "T7",
            "quantity": "finite-rank S: relative Frobenius error of shrinkage vs asymptotic BGN prediction",
            "predicted": float(predicted_error),
            "observed": float(shrink_err.mean()),
            "tolerance": 5 * t_interval(shrink_err)["se"],
            "N": N,
            "seeds": n_seeds,
            "note": "tolerance: 5 standard errors of the mean over seeds (Student t, n_seeds - 1 dof: "
            "P(|t| > 5) < 0.5% for n_seeds >= 6)",
        },
        {
            "theorem": "T7",
            "quantity": "finite-rank S: singular values kept by mp_edge (fitted sigma) = "
            "spikes above threshold",
            "predicted": predicted_kept,
            "observed": float(finite["kept_mp_edge"].mean()),
            "tolerance": 0.5,
            "N": N,
            "seeds": n_seeds,
            "note": "mean over seeds; any wrong count in one seed moves it by 1/n_seeds",
        },
        {
            "theorem": "T7",
            "quantity": "full-rank S: singular values kept by free_edge = outliers of S",
            "predicted": len(outliers_of_S),
            "observed": float(full["kept_free_edge"].mean()),
            "tolerance": 0.5,
            "N": N,
            "seeds": len(full),
            "note": "oracle free-convolution edge (Monte Carlo, 95%)",
        },
    ]
    for fit in fits.to_dict("records"):
        specs.append(
            {
                "theorem": "T7",
                "quantity": f"trained layer {fit['layer']} {fit['shape']}: "
                "KS distance of the Marchenko–Pastur fit",
                "predicted": 0.0,
                "observed": float(fit["ks_distance"]),
                "tolerance": float(fit["refusal_threshold"]),
                "N": min(fit["shape"]),
                "seeds": 1,
                "note": "tolerance: noise_level's refusal threshold 0.05 + 3/n",
            }
        )
    return specs
