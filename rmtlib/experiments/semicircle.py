"""Chapter T1 (the semicircle law): the largest eigenvalue of the tridiagonal model and the
chapter's verdicts.
"""

from __future__ import annotations

import numpy as np

from .. import laws
from .._validation import check_real
from .statistics import KS_PERTURBATION, ks_verdict

__all__ = [
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
