"""Chapter T1 (the semicircle law): the largest eigenvalue of the tridiagonal model and the
chapter's verdicts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import laws, samplers
from .._validation import check_real
from .statistics import KS_PERTURBATION, ks_verdict

__all__ = [
    "edge_study",
    "edge_summary",
    "semicircle_verdicts",
]


def semicircle_verdicts(spectra_by_law: dict, *, sigma: float) -> list[dict]:
    """T1: the Kolmogorov distance of each spectrum (one per entry law) to the semicircle of ``sigma``."""
    sigma = check_real(sigma, "sigma", positive=True)
    law = laws.Semicircle(sigma=sigma)
    perturbed = [laws.Semicircle(sigma=sigma * np.sqrt(1 + e)) for e in (KS_PERTURBATION, -KS_PERTURBATION)]
    return [
        {
            "theorem": "T1",
            "quantity": f"Kolmogorov distance to the semicircle, {name} entries",
            "N": int(np.size(ev)),
            **ks_verdict(ev, law, perturbed),
        }
        for name, ev in spectra_by_law.items()
    ]


def edge_study(*, sizes, samples: int, sigma: float = 1.0, rng) -> pd.DataFrame:
    """The largest eigenvalue of the tridiagonal model (:func:`~rmtlib.samplers.top_eigenvalue_tridiagonal`),
    ``samples`` draws per size: one row per draw with ``N``."""
    return pd.DataFrame(
        [
            {"N": n, **samplers.top_eigenvalue_tridiagonal(N=n, sigma=sigma, rng=rng)}
            for n in sizes
            for _ in range(samples)
        ]
    )


def edge_summary(edge: pd.DataFrame, *, sigma: float) -> pd.DataFrame:
    """Per ``N`` of :func:`edge_study`: mean and standard deviation of the largest eigenvalue and of its
    Tracy-Widom scaling, and the ``gap`` ``2 sigma - E[lambda_max]``."""
    summary = edge.groupby("N").agg(
        top_mean=("top", "mean"),
        top_sd=("top", "std"),
        scaled_mean=("edge_scaled", "mean"),
        scaled_sd=("edge_scaled", "std"),
    )
    summary["gap"] = 2 * sigma - summary["top_mean"]
    return summary
