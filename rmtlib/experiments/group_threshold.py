"""T9: when a group of ``r = kappa n`` equal outliers leaves the bulk.

The phase diagram (:func:`threshold_curve`), the small-``kappa`` law and its constant from the
cusp expansion (:func:`cusp_constant`, :func:`small_kappa_fit`), Monte Carlo at points on both
sides of the threshold (:func:`monte_carlo_point`), the finite-``N`` opening of the gap
(:func:`gap_opening`), the fraction of the group that the Marchenko-Pastur edge rule keeps
(:func:`edge_rule_fraction`) and the chapter's verdicts (:func:`group_threshold_verdicts`).
Strengths are eigenvalues ``theta`` of ``S`` (square model) or singular values ``s``
(rectangular model, ``gamma = M / N``, the group a fraction ``kappa`` of the ``n = min(N, M)``
singular values); the rest of ``S`` is zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import samplers
from .._validation import check_generator, check_int, check_real
from ..free_convolution import FreeConvolutionSemicircle
from ..group_threshold import group_separation_threshold, single_spike_threshold
from ..information_plus_noise import InformationPlusNoise
from ..laws import DiscreteLaw
from .statistics import VerdictSpec, count_test, mean_test

__all__ = [
    "component_counts",
    "cusp_constant",
    "edge_rule_fraction",
    "fit_table",
    "gap_opening",
    "group_law_support",
    "group_spectrum",
    "group_threshold_verdicts",
    "monte_carlo_point",
    "monte_carlo_table",
    "phase_labels",
    "small_kappa_fit",
    "threshold_curve",
    "threshold_point",
]


def _model_kwargs(gamma):
    return {"model": "square"} if gamma is None else {"model": "rectangular", "gamma": float(gamma)}


def threshold_curve(kappas, *, sigma: float = 1.0, gamma: float | None = None) -> np.ndarray:
    """The separation threshold at each ``kappa`` (square model when ``gamma`` is None)."""
    return np.array(
        [group_separation_threshold(float(k), sigma=sigma, **_model_kwargs(gamma)) for k in kappas]
    )


def phase_labels(kappas, strengths, *, sigma: float = 1.0, gamma: float | None = None) -> np.ndarray:
    """The phase diagram on a grid: 1 where the group is separated, 0 where it is absorbed.

    Shape ``(len(kappas), len(strengths))``; one threshold per ``kappa``.
    """
    curve = threshold_curve(kappas, sigma=sigma, gamma=gamma)
    return (np.asarray(strengths, dtype=float)[None, :] > curve[:, None]).astype(int)


def threshold_point(
    *, kappa: float, model: str = "rectangular", gamma: float = 1.0, sigma: float = 1.0, rng=None
) -> dict:
    """One point of the phase diagram, for sweeps: the threshold, BBP's value and the excess.

    ``gamma`` is ignored for ``model="square"``; ``rng`` is accepted (sweeps pass one) and unused:
    the threshold is deterministic.
    """
    kw = {"model": "square"} if model == "square" else {"model": model, "gamma": gamma}
    threshold = group_separation_threshold(kappa, sigma=sigma, **kw)
    bbp = single_spike_threshold(sigma=sigma, **kw)
    return {
        "threshold": threshold,
        "bbp": bbp,
        "excess": threshold - bbp,
        "scaled_excess": (threshold - bbp) / np.cbrt(kappa),
    }


def cusp_constant(*, sigma: float = 1.0, gamma: float | None = None) -> float:
    """The constant ``C`` of ``threshold - BBP ~ C kappa^(1/3)`` from the expansion at the cusp.

    With ``Z_0`` the bulk's map, ``u*`` its critical point, ``alpha = Z_0''(u*)`` and ``P`` the
    factor of ``kappa / (theta - u)^2`` in ``Z'``: ``theta - u* ~ (3/2) (2 P kappa / alpha)^(1/3)``.
    Square, zero bulk: ``C = (3/2) sigma``. Rectangular, zero bulk, ``gamma >= 1``:
    ``C = (3/4) sigma gamma^(-1/12) (1 + sqrt(gamma))^(2/3)`` in the singular value (``gamma < 1``:
    the transpose, ``sigma -> sigma sqrt(gamma)``, ``gamma -> 1/gamma``).
    """
    sigma = check_real(sigma, "sigma", positive=True)
    if gamma is None:
        return 1.5 * sigma
    gamma = check_real(gamma, "gamma", positive=True)
    sig, g = (sigma, gamma) if gamma >= 1 else (sigma * np.sqrt(gamma), 1 / gamma)
    return float(0.75 * sig * g ** (-1 / 12) * (1 + np.sqrt(g)) ** (2 / 3))


def small_kappa_fit(kappas, *, sigma: float = 1.0, gamma: float | None = None, threshold=None) -> dict:
    """The small-``kappa`` law of the threshold fitted over ``kappas``.

    ``exponent``: slope of the least-squares line of ``log(threshold - BBP)`` on ``log kappa``.
    ``constant``: ``C`` of the least-squares fit ``(threshold - BBP) / kappa^(1/3) = C + D kappa^(1/3)``
    (the next order of the expansion, ``D``, biases a pure power-law fit by a few percent at
    ``kappa = 1e-3``). ``threshold`` (default :func:`group_separation_threshold`) maps
    ``(kappa, sigma=..., **model)`` to the strength.
    """
    threshold = group_separation_threshold if threshold is None else threshold
    kappas = np.asarray(kappas, dtype=float)
    bbp = single_spike_threshold(sigma=sigma, **_model_kwargs(gamma))
    excess = np.array([threshold(float(k), sigma=sigma, **_model_kwargs(gamma)) for k in kappas]) - bbp
    slope, _ = np.polyfit(np.log(kappas), np.log(excess), 1)
    cube = np.cbrt(kappas)
    next_order, constant = np.polyfit(cube, excess / cube, 1)
    return {
        "gamma": np.nan if gamma is None else float(gamma),
        "bbp": bbp,
        "exponent": float(slope),
        "constant": float(constant),
        "next_order": float(next_order),
        "derived_constant": cusp_constant(sigma=sigma, gamma=gamma),
        "excess": excess,
    }


def group_law_support(*, kappa: float, strength: float, sigma: float = 1.0, gamma: float | None = None):
    """Support of the limit law (eigenvalues, or singular values for the rectangular model)."""
    if gamma is None:
        law = FreeConvolutionSemicircle(DiscreteLaw([0.0, strength], [1 - kappa, kappa]), sigma)
        return [(float(a), float(b)) for a, b in law.support()]
    law = InformationPlusNoise(DiscreteLaw([0.0, strength**2], [1 - kappa, kappa]), gamma=gamma, sigma=sigma)
    return [(float(np.sqrt(max(a, 0.0))), float(np.sqrt(b))) for a, b in law.support()]


def group_spectrum(
    *,
    N: int,
    kappa: float,
    strength: float,
    sigma: float = 1.0,
    gamma: float | None = None,
    noise_variance_factor: float = 1.0,
    rng,
) -> tuple[np.ndarray, int]:
    """Ascending eigenvalues of ``H = R/sqrt(N) + S`` (or singular values of ``W``) and ``r``.

    ``S`` has ``r = round(kappa n)`` eigenvalues (singular values) equal to ``strength`` and zeros;
    the noise variance is ``noise_variance_factor sigma^2`` (the prediction keeps ``sigma``).
    """
    N = check_int(N, "N", minimum=10)
    rng = check_generator(rng)
    sim_sigma = sigma * np.sqrt(check_real(noise_variance_factor, "noise_variance_factor", positive=True))
    if gamma is None:
        r = int(round(kappa * N))
        spectrum = np.r_[np.zeros(N - r), np.full(r, float(strength))]
        return np.linalg.eigvalsh(samplers.deformed_wigner(spectrum, sigma=sim_sigma, rng=rng)), r
    M = int(round(gamma * N))
    n = min(N, M)
    r = int(round(kappa * n))
    w = samplers.rectangular_noise(N, M, sigma=sim_sigma, rng=rng)
    w[np.arange(n - r, n), np.arange(n - r, n)] += strength
    gram = w @ w.T if N <= M else w.T @ w
    return np.sqrt(np.clip(np.linalg.eigvalsh(gram), 0.0, None)), r


def monte_carlo_point(
    *,
    N: int,
    kappa: float,
    strength: float,
    seeds: int,
    sigma: float = 1.0,
    gamma: float | None = None,
    noise_variance_factor: float = 1.0,
    rng,
) -> dict:
    """Spectra at one point of the diagram against the limit law's support.

    Returns the predicted support, whether the group is predicted separated, and per seed: the
    largest value below the group (``n - r``-th, the bulk's top), the smallest of the group
    (``n - r + 1``-th), the largest, the count above the middle of the predicted gap, and the
    gap after the ``n - r``-th value in units of the mean of the ten spacings below it; and the
    last matrix's spectrum (``spectrum``).
    """
    seeds = check_int(seeds, "seeds", minimum=1)
    support = group_law_support(kappa=kappa, strength=strength, sigma=sigma, gamma=gamma)
    separated = len(support) >= 2
    threshold = group_separation_threshold(kappa, sigma=sigma, **_model_kwargs(gamma))
    rows = []
    for _ in range(seeds):
        lam, r = group_spectrum(
            N=N,
            kappa=kappa,
            strength=strength,
            sigma=sigma,
            gamma=gamma,
            noise_variance_factor=noise_variance_factor,
            rng=rng,
        )
        n = lam.size
        below, above = float(lam[n - r - 1]), float(lam[n - r])
        local = float(np.mean(np.diff(lam[n - r - 11 : n - r])))
        middle = 0.5 * (support[-2][1] + support[-1][0]) if separated else np.nan
        rows.append(
            {
                "below": below,
                "above": above,
                "top": float(lam[-1]),
                "count_above_gap": int(np.sum(lam > middle)) if separated else -1,
                "gap_ratio": (above - below) / local,
            }
        )
    return {
        "spectrum": lam,
        "N": N,
        "kappa": kappa,
        "gamma": np.nan if gamma is None else float(gamma),
        "sigma": sigma,
        "strength": strength,
        "r": r,
        "threshold": threshold,
        "distance": strength - threshold,
        "edge_scale": N ** (-2 / 3),
        "separated": separated,
        "support": support,
        "seeds": rows,
        "bulk_edge": support[-2][1] if separated else np.nan,
        "group_edge": support[-1][0] if separated else np.nan,
        "top_edge": support[-1][1],
    }


def gap_opening(
    *,
    sizes,
    offsets,
    kappa: float,
    seeds: int,
    sigma: float = 1.0,
    ratio: float = 4.0,
    noise_variance_factor: float = 1.0,
    rng,
) -> list[dict]:
    """The gap after the bulk (square model) at ``threshold + offset sigma``, per size.

    A row per ``(N, offset)``: the mean over ``seeds`` of the gap ``lambda_(n-r+1) - lambda_(n-r)``,
    of the gap ratio of :func:`monte_carlo_point` (the gap over the mean of the ten spacings
    below it), and the limit law's gap. At each size the gap "appears" at the first offset where
    the mean gap ratio exceeds ``ratio``. The smallest offset must lie below the threshold: it
    shows the ratio inside one bulk.
    """
    offsets = sorted(float(o) for o in offsets)
    if offsets[0] >= 0:
        raise ValueError(f"offsets must start below the threshold (a negative offset), got {offsets[0]:g}")
    threshold = group_separation_threshold(kappa, sigma=sigma)
    rows = []
    for N in sizes:
        for off in offsets:
            strength = threshold + off * sigma
            point = monte_carlo_point(
                N=int(N),
                kappa=kappa,
                strength=strength,
                seeds=seeds,
                sigma=sigma,
                noise_variance_factor=noise_variance_factor,
                rng=rng,
            )
            gap = point["group_edge"] - point["bulk_edge"] if point["separated"] else 0.0
            rows.append(
                {
                    "N": int(N),
                    "offset": float(off),
                    "strength": strength,
                    "gap_ratio": float(np.mean([s["gap_ratio"] for s in point["seeds"]])),
                    "gap": float(np.mean([s["above"] - s["below"] for s in point["seeds"]])),
                    "predicted_gap": gap,
                    "opened": False,
                }
            )
    for N in sizes:
        mine = [row for row in rows if row["N"] == int(N)]
        first = next((row["offset"] for row in mine if row["gap_ratio"] > ratio), np.nan)
        for row in mine:
            row["opened"] = bool(np.isfinite(first) and row["offset"] >= first)
            row["opening_offset"] = first
    return rows


def edge_rule_fraction(*, kappa: float, strengths, sigma: float = 1.0, gamma: float = 2.0) -> np.ndarray:
    """Fraction of the ``r`` group directions that the Marchenko-Pastur edge rule keeps, in the limit.

    The rule keeps the singular values above ``sigma (1 + sqrt(gamma))``; their number over ``r``
    is the limit law's mass above that edge divided by ``kappa``, capped at 1 (it can keep no more
    directions than the signal has).
    """
    edge2 = (sigma * (1 + np.sqrt(gamma))) ** 2
    out = []
    for s in strengths:
        law = InformationPlusNoise(
            DiscreteLaw([0.0, float(s) ** 2], [1 - kappa, kappa]), gamma=gamma, sigma=sigma
        )
        mass = 1.0 - float(law.cdf(edge2)) if law.edges()[-1] > edge2 else 0.0
        out.append(min(1.0, mass / kappa))
    return np.array(out)


_NOISE_STEP = 1e-4  # relative step in sigma^2 of the symmetric finite differences


def _edge_noise_slopes(point: dict) -> dict:
    """``d/d delta`` of the point's predicted edges (``bulk_edge``, ``group_edge``, ``top_edge``) at
    the noise variance ``sigma^2 (1 + delta)``, ``delta = 0``, by a symmetric finite difference of
    :func:`group_law_support` (the point lies far enough from the threshold that the number of
    components is the same on both sides)."""
    gamma = None if np.isnan(point["gamma"]) else point["gamma"]
    sigma = point["sigma"]
    ends = []
    for h in (_NOISE_STEP, -_NOISE_STEP):
        support = group_law_support(
            kappa=point["kappa"], strength=point["strength"], sigma=sigma * np.sqrt(1 + h), gamma=gamma
        )
        if (len(support) >= 2) != point["separated"]:
            raise ValueError("the point lies too close to the threshold for a finite difference in sigma^2")
        ends.append(
            {
                "top_edge": support[-1][1],
                "bulk_edge": support[-2][1] if point["separated"] else np.nan,
                "group_edge": support[-1][0] if point["separated"] else np.nan,
            }
        )
    up, down = ends
    return {key: (up[key] - down[key]) / (2 * _NOISE_STEP) for key in up}


def _edge_specs(points, model: str) -> list[VerdictSpec]:
    """Edge verdicts: the values next to the predicted gap and the top, against the law's edges.

    The standard deviation is pooled over every edge value of the model's points (one per seed);
    the bias allowance is twice it, for the finite-``N`` shift of an edge (of the order of its
    Tracy-Widom mean, about one standard deviation).

    ``noise_shift``: the derivative of the law's edge in ``delta`` at the noise variance
    ``sigma^2 (1 + delta)`` (:func:`_edge_noise_slopes`).
    """
    groups = []
    for p in points:
        vals = {"top": [s["top"] for s in p["seeds"]]}
        if p["separated"]:
            vals["below"] = [s["below"] for s in p["seeds"]]
            vals["above"] = [s["above"] for s in p["seeds"]]
        for key, v in vals.items():
            groups.append((p, key, np.asarray(v)))
    dev = np.concatenate([v - v.mean() for _, _, v in groups])
    dof = sum(v.size - 1 for _, _, v in groups)
    sd = float(np.sqrt(np.sum(dev**2) / max(dof, 1)))
    names = {
        "top": ("largest value", "top_edge"),
        "below": ("top of the bulk", "bulk_edge"),
        "above": ("bottom of the group", "group_edge"),
    }
    specs = []
    slopes = {}
    for p, key, v in groups:
        label, edge = names[key]
        spec = mean_test(v, predicted=p[edge], sd=sd, bias=2 * sd)
        if id(p) not in slopes:
            slopes[id(p)] = _edge_noise_slopes(p)
        spec["noise_shift"] = slopes[id(p)][edge]
        spec["noise_dof"] = max(dof, 1)  # the sd is estimated: the noncentral t law's power
        side = "above" if p["separated"] else "below"
        spec.update(
            theorem="T9",
            N=p["N"],
            quantity=f"{model}, kappa = {p['kappa']:g}, strength {p['strength']:.3f} ({side} the "
            f"threshold): {label} vs the law's edge",
        )
        spec["note"] += f"; pooled sd {sd:.2g} over {dof} dof"
        specs.append(spec)
    return specs


def group_threshold_verdicts(*, square_points, rectangular_points, fits) -> list[dict]:
    """The chapter's verdicts, each the keyword arguments of :func:`rmtlib.verdict.check`.

    * per Monte Carlo point above the threshold: the count above the predicted gap, exactly ``r``
      per matrix (summed over seeds);
    * per point: the values at the predicted edges (:func:`_edge_specs`);
    * per model of ``fits`` (:func:`small_kappa_fit`): the fitted exponent against 1/3
      (tolerance 0.01) and the fitted constant against the derived one (tolerance 0.5%).
    """
    specs = []
    for model, points in (("square", square_points), ("rectangular", rectangular_points)):
        for p in points:
            if p["separated"]:
                observed = sum(s["count_above_gap"] for s in p["seeds"])
                spec = count_test(p["r"] * len(p["seeds"]), observed)
                spec.update(
                    theorem="T9",
                    N=p["N"],
                    seeds=len(p["seeds"]),
                    quantity=f"{model}, kappa = {p['kappa']:g}, strength {p['strength']:.3f}: "
                    "values above the predicted gap (r per matrix, summed)",
                )
                specs.append(spec)
        if points:
            specs += _edge_specs(points, model)
    for fit in fits:
        model = "square" if np.isnan(fit["gamma"]) else f"rectangular, gamma = {fit['gamma']:g}"
        specs.append(
            VerdictSpec(
                theorem="T9",
                quantity=f"{model}: fitted exponent of threshold - BBP in kappa",
                predicted=1 / 3,
                observed=fit["exponent"],
                tolerance=0.01,
                N=1,
                seeds=1,
                detectable=0.03,
                note="least squares over kappa in [1e-8, 1e-3]",
            )
        )
        specs.append(
            VerdictSpec(
                theorem="T9",
                quantity=f"{model}: fitted constant vs the cusp expansion",
                predicted=fit["derived_constant"],
                observed=fit["constant"],
                tolerance=0.005 * fit["derived_constant"],
                N=1,
                seeds=1,
                detectable=0.005,
                note="constant of the least-squares fit",
            )
        )
    return specs


def component_counts(kappas, curves: dict, models: dict, *, sigma: float = 1.0, step: int = 1) -> list[int]:
    """How many intervals the group law's support has at every ``step``-th ``kappa`` of ``kappas``, at
    0.8 and 1.25 times the threshold ``curves[name]`` (on the same ``kappas``) of each model
    (``models[name]`` is its ``gamma``, None for square), in that order of loops."""
    counts = []
    for name, g in models.items():
        for i in range(0, len(kappas), step):
            for f in (0.8, 1.25):
                support = group_law_support(
                    kappa=float(kappas[i]), strength=f * curves[name][i], sigma=sigma, gamma=g
                )
                counts.append(len(support))
    return counts


def fit_table(fits: dict) -> pd.DataFrame:
    """The small-kappa fits of :func:`small_kappa_fit` by model name (the index ``model``): the BBP
    threshold, the fitted exponent and constant, the derived constant, their relative difference
    and the next-order coefficient."""
    return pd.DataFrame(
        [
            {
                "model": name,
                "BBP threshold": f["bbp"],
                "fitted exponent": f["exponent"],
                "fitted constant C": f["constant"],
                "derived constant": f["derived_constant"],
                "relative difference": f["constant"] / f["derived_constant"] - 1,
                "next order D": f["next_order"],
            }
            for name, f in fits.items()
        ]
    ).set_index("model")


def monte_carlo_table(points: dict) -> pd.DataFrame:
    """One row per :func:`monte_carlo_point` of ``points[model]`` (``model`` in ``"square"``,
    ``"rectangular"``): the point, its distance to the threshold in units of ``N^(-2/3)``, the
    predicted phase, and each edge of the law beside the mean over seeds of the matching spectral
    value (the bulk top and the group bottom only where the group is predicted separated), the mean
    fraction of the group counted above the gap and the mean gap in local spacings."""
    rows = []
    for model, model_points in points.items():
        for p in model_points:
            mean = {key: np.mean([s[key] for s in p["seeds"]]) for key in ("below", "above", "top")}
            rows.append(
                {
                    "model": model,
                    "kappa": p["kappa"],
                    "r": p["r"],
                    "strength": p["strength"],
                    "threshold": p["threshold"],
                    "distance / N^(-2/3)": p["distance"] / p["edge_scale"],
                    "predicted": "separated" if p["separated"] else "absorbed",
                    "bulk top: law": p["bulk_edge"],
                    "bulk top: mean": mean["below"] if p["separated"] else np.nan,
                    "group bottom: law": p["group_edge"],
                    "group bottom: mean": mean["above"] if p["separated"] else np.nan,
                    "top: law": p["top_edge"],
                    "top: mean": mean["top"],
                    "count above gap / r": (
                        np.mean([s["count_above_gap"] for s in p["seeds"]]) / p["r"]
                        if p["separated"]
                        else np.nan
                    ),
                    "gap / local spacing": np.mean([s["gap_ratio"] for s in p["seeds"]]),
                }
            )
    return pd.DataFrame(rows)
