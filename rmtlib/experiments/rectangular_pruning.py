"""Experiments of chapter T7 that use the rectangular deterministic equivalent: what the pruning
thresholds keep when ``S`` has a full-rank bulk and a growing number of outliers, and paired
comparisons of pruning rules on the same trained networks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .. import information_plus_noise as ipn
from .. import pruning, samplers
from .._validation import check_choice, check_generator, check_int, check_real
from .rectangular_growing import power_law_bulk

__all__ = ["PRUNING_THRESHOLDS", "pruning_rule_counts", "paired_rule_comparison"]

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
    first = ipn.predict_singular_outliers_over_bulk(out_s, bulk, sigma=sigma, shape=(N, M))
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
    predicted = ipn.rectangular_deterministic_equivalent(np.r_[bulk, out_s], sigma, (N, M)).singular_values[
        ::-1
    ]
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


def paired_rule_comparison(study: pd.DataFrame, *, at: str = "rmt", metric: str = "accuracy") -> pd.DataFrame:
    """Paired comparison of pruning methods on the same networks.

    ``study`` has one row per (network ``seed``, ``method``, ``at``) with the ``metric`` (the rows
    of :func:`~rmtlib.experiments.pruning.pruning_study` with a ``seed`` column). For every pair of methods
    at ``at``: the mean paired difference of ``metric`` (first minus second) over the networks,
    its standard error, the paired t-statistic and its two-sided p-value, and how many networks
    rank the first above the second.

    Examples
    --------
    >>> t = pd.DataFrame({"seed": [0, 0, 1, 1, 2, 2], "method": ["a", "b"] * 3, "at": "rmt",
    ...                   "accuracy": [0.9, 0.8, 0.95, 0.9, 0.85, 0.84]})
    >>> row = paired_rule_comparison(t).iloc[0]
    >>> row["first"], row["second"], round(float(row["mean difference"]), 4), int(row["first ahead"])
    ('a', 'b', 0.0533, 3)
    """
    if not isinstance(study, pd.DataFrame):
        raise TypeError(f"study must be a pandas DataFrame, got {type(study).__name__}")
    missing = {"seed", "method", "at", metric} - set(study.columns)
    if missing:
        raise ValueError(f"study lacks the columns {sorted(missing)}")
    check_choice(at, "at", set(study["at"]))
    wide = study[study["at"] == at].pivot_table(index="seed", columns="method", values=metric)
    wide = wide.dropna()
    if len(wide) < 2:
        raise ValueError(f"need at least two networks with every method at {at!r}, got {len(wide)}")
    rows = []
    methods = list(wide.columns)
    for i, a in enumerate(methods):
        for b in methods[i + 1 :]:
            d = (wide[a] - wide[b]).to_numpy()
            se = float(np.std(d, ddof=1) / np.sqrt(d.size))
            if se > 0:
                t = float(d.mean() / se)
                p = float(2 * stats.t.sf(abs(t), d.size - 1))
            else:  # the same numbers on every network (e.g. one rule is the other): no evidence
                t, p = (0.0, 1.0) if d.mean() == 0 else (float(np.copysign(np.inf, d.mean())), 0.0)
            rows.append(
                {
                    "first": a,
                    "second": b,
                    "networks": d.size,
                    "mean difference": float(d.mean()),
                    "standard error": se,
                    "t": t,
                    "p-value": p,
                    "first ahead": int(np.sum(d > 0)),
                }
            )
    return pd.DataFrame(rows)
