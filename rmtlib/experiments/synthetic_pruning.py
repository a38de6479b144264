"""Experiments of chapter T7 on synthetic matrices: the pruning rules against the rank-error curve
for a finite-rank and for a full-rank signal, their summary table and figure, and the
Benaych-Georges--Nadakuditi prediction of the error of the shrinkage rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import laws, outliers, samplers
from .._validation import check_choice, check_generator, check_int, check_real
from .pruning import compare_rules, rank_error_curve

__all__ = [
    "SYNTHETIC_RULES",
    "synthetic_rule_study",
    "rule_table",
    "plot_rule_curves",
    "shrinkage_error_prediction",
]

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


def plot_rule_curves(ax, frame: pd.DataFrame, curves: list[dict], title: str, rules=SYNTHETIC_RULES) -> None:
    """The mean rank-error curves (hard and shrunk) and the rank and error each rule picks."""
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
