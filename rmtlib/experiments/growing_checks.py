"""The T5 study and its verdict computations: simulations in, pooled tests out.

:func:`t5_study` simulates the four designs of the chapter (the *many* and *crowded*
families across sizes, the fluctuation study of three noise models, the crossover
study at one size) and :func:`t5_checks` turns the table into pooled tests with known
variances (the verdicts' statistics of :mod:`~rmtlib.experiments.power`). The chapter and the
power tests call the same two functions.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._validation import check_generator, check_int, check_real
from .growing import outlier_errors
from .power import VerdictSpec, bootstrap_slope, cluster_mean_test, standardized_mean_test, variance_test

__all__ = ["FLUCTUATION_MODELS", "T5Check", "t5_checks", "t5_study"]

# the fluctuation study: four well separated outliers 2, 3, 4, 5 under three noise models
FLUCTUATION_MODELS = {
    "diagonal S, Gaussian": {"basis": "diagonal", "entries": "gaussian"},
    "Haar S, Gaussian": {"basis": "haar", "entries": "gaussian"},
    "diagonal S, Rademacher": {"basis": "diagonal", "entries": "rademacher"},
}
_FLUCTUATION_DESIGN = {"family": "crowded", "beta": 0.0, "spacing": 1.0, "n_crowded": 4, "theta_center": 3.5}


@dataclasses.dataclass(frozen=True)
class T5Check:
    """One verdict of the chapter: a pooled test and what it is about."""

    quantity: str
    test: VerdictSpec
    N: int
    seeds: int
    note: str

    @property
    def passed(self) -> bool:
        return self.test.passed

    def kwargs(self) -> dict:
        """Keyword arguments of :func:`rmtlib.verdict.check`: the test's numbers, this check's
        ``quantity``, ``N``, ``seeds`` (matrices) and ``note``."""
        return {
            "quantity": self.quantity,
            "N": self.N,
            "seeds": self.seeds,
            "note": self.note,
            **{k: self.test[k] for k in ("predicted", "observed", "tolerance", "detectable")},
        }


def t5_study(
    *,
    sizes,
    alphas,
    betas,
    seeds: int,
    dense_N: int,
    dense_alphas,
    fluct_N: int,
    fluct_seeds: int,
    sigma: float = 1.0,
    spacing: float = 0.25,
    noise_variance_factor: float = 1.0,
    many_rows=None,
    rng,
):
    """All simulations of chapter T5, one row per matrix (a pandas DataFrame).

    Columns: ``study`` (``"many"``, ``"crowded"``, ``"fluctuation"``, ``"crossover"``),
    ``model`` (the noise model of the fluctuation study, ``""`` elsewhere), ``N``,
    ``exponent`` (``alpha`` or ``beta``), ``replicate`` and the metrics of
    :func:`~rmtlib.experiments.outlier_errors`. ``many_rows`` (a DataFrame with the
    columns of the many study, e.g. from a sweep store) replaces that study.
    ``noise_variance_factor`` multiplies the noise variance of every matrix.
    """
    import pandas as pd

    check_generator(rng)
    seeds = check_int(seeds, "seeds", minimum=2)
    fluct_seeds = check_int(fluct_seeds, "fluct_seeds", minimum=2)
    sigma = check_real(sigma, "sigma", positive=True)
    common = {"sigma": sigma, "noise_variance_factor": noise_variance_factor}
    rows = []

    def run(study, model, N, exponent, k, **params):
        out = outlier_errors(N=N, rng=rng, **common, **params)
        rows.append({"study": study, "model": model, "N": N, "exponent": exponent, "replicate": k, **out})

    if many_rows is None:
        for N in sizes:
            for a in alphas:
                for k in range(seeds):
                    run("many", "", N, a, k, family="many", alpha=a, spacing=spacing, vectors=True)
    for N in sizes:
        for b in betas:
            for k in range(seeds):
                run("crowded", "", N, b, k, family="crowded", beta=b, spacing=spacing)
    for model, params in FLUCTUATION_MODELS.items():
        for k in range(fluct_seeds):
            run("fluctuation", model, fluct_N, 0.0, k, **_FLUCTUATION_DESIGN, **params)
    for a in dense_alphas:
        for k in range(seeds):
            run("crossover", "", dense_N, a, k, family="interval", alpha=a)
    study = pd.DataFrame(rows)
    if many_rows is not None:
        many = many_rows.assign(study="many", model="", exponent=many_rows["alpha"])
        study = pd.concat([many, study], ignore_index=True)
    return study


def _location(rows, predictor: str, quantity: str, note: str, level: float) -> T5Check:
    n = int(rows["r"].sum())
    effect = float(rows["displacement_sum"].sum()) / n
    test = standardized_mean_test(float(rows[f"z_sum_{predictor}"].sum()), n, effect=abs(effect), level=level)
    return T5Check(quantity, test, int(rows["N"].max()), len(rows), note)


def _shift(observed, predicted, sd: float, quantity: str, N: int, note: str, level: float) -> T5Check:
    """Observed mean standardized end error against the mean predicted leave-one-out shift."""
    observed = np.asarray(observed, dtype=float)
    pred = float(np.mean(predicted))
    test = standardized_mean_test(
        float(observed.sum()), observed.size, predicted=pred, effect=max(abs(pred), 1e-12), sd=sd, level=level
    )
    return T5Check(quantity, test, N, int(observed.size), note)


def t5_checks(study, *, level: float = 1e-3) -> list[T5Check]:
    """The chapter's verdicts, computed from a :func:`t5_study` table.

    * *many* family at the largest ``N``: mean standardized error of the deterministic
      equivalent and of the leave-one-out prediction (all ``alpha``), of the first order
      where it holds (``alpha < 1/2``); for the largest ``alpha >= 1/2``, the first-order
      error of the lowest outlier (all ``N``) must equal the leave-one-out shift (the
      first order fails by the predicted amount); eigenvector overlaps against their
      finite-N deterministic equivalent; bootstrap slopes of the scaled RMS error
      against ``N`` (``-1/2``) for the equivalent (all ``alpha``) and the first order
      (``alpha < 1/2``).
    * *crowded* family: mean standardized error of the equivalent (all ``beta``, all
      ``N``); at the largest ``beta``, the first-order error at the two ends of the
      cluster against the leave-one-out shift.
    * fluctuation study: for each noise model, mean and chi-square of the standardized
      errors of the equivalent with that model's variance.
    * crossover study: the first-order error of the lowest outlier against the closed-form
      shift, where the spacing is at least the fluctuation scale ``sigma/sqrt(N)``.

    Every mean test has level ``level`` (two-sided) and unit variance per outlier.
    """
    checks: list[T5Check] = []
    many = study[study["study"] == "many"]
    if len(many):
        top = many[many["N"] == many["N"].max()]
        checks.append(
            _location(
                top,
                "equivalent",
                "deterministic equivalent, many outliers: mean standardized error",
                "all alpha at the largest N",
                level,
            )
        )
        checks.append(
            _location(
                top,
                "leave_one_out",
                "leave-one-out prediction, many outliers: mean standardized error",
                "all alpha at the largest N",
                level,
            )
        )
        holds = top[top["exponent"] < 0.5]
        if len(holds):
            checks.append(
                _location(
                    holds,
                    "first_order",
                    "first order H_sigma(theta), alpha < 1/2: mean standardized error",
                    "where the theory says it holds",
                    level,
                )
            )
        a_max = float(many["exponent"].max())
        if a_max >= 0.5:
            rows = many[many["exponent"] == a_max]
            checks.append(
                _shift(
                    rows["z_bottom_first_order"],
                    rows["bias_bottom"],
                    1.0,
                    f"first order fails at alpha = {a_max:g}: error of the lowest outlier (sd units)",
                    int(rows["N"].max()),
                    "predicted: the leave-one-out shift, all N",
                    level,
                )
            )
        if "overlap_sum_equivalent" in top.columns and top["overlap_sum_equivalent"].notna().all():
            test = cluster_mean_test(
                top["overlap_sum_equivalent"],
                top["r"],
                effect=float(top["overlap_deficit_sum"].sum() / top["r"].sum()),
                level=level,
            )
            checks.append(
                T5Check(
                    "eigenvector overlaps, many outliers: mean error against the deterministic equivalent",
                    test,
                    int(top["N"].max()),
                    len(top),
                    "all alpha at the largest N; t-test over matrices",
                )
            )
        for predictor, rows, label in (
            ("equivalent", many, "all alpha"),
            ("first_order", many[many["exponent"] < 0.5], "alpha < 1/2"),
        ):
            test, ci = _slope(rows, predictor, level)
            checks.append(
                T5Check(
                    f"slope of the scaled RMS error of the {predictor.replace('_', ' ')} ({label})",
                    test,
                    int(rows["N"].max()),
                    len(rows),
                    f"bootstrap over seeds, 95% interval [{ci[0]:.3f}, {ci[1]:.3f}]; tolerance from the "
                    "larger of the bootstrap and the known standard error",
                )
            )
    crowded = study[study["study"] == "crowded"]
    if len(crowded):
        checks.append(
            _location(
                crowded,
                "equivalent",
                "deterministic equivalent, crowded outliers: mean standardized error",
                "all beta, all N",
                level,
            )
        )
        b_max = float(crowded["exponent"].max())
        rows = crowded[crowded["exponent"] == b_max]
        observed = 0.5 * (rows["z_top_first_order"] - rows["z_bottom_first_order"]).to_numpy()
        predicted = 0.5 * (rows["bias_top"] - rows["bias_bottom"]).to_numpy()
        checks.append(
            _shift(
                observed,
                predicted,
                np.sqrt(0.5),
                f"first order, crowded beta = {b_max:g}: end-of-cluster error (sd units)",
                int(rows["N"].max()),
                "predicted: the leave-one-out shift, all N",
                level,
            )
        )
    fluct = study[study["study"] == "fluctuation"]
    for model in FLUCTUATION_MODELS:
        rows = fluct[fluct["model"] == model]
        if not len(rows):
            continue
        checks.append(
            _location(
                rows, "equivalent", f"{model}: mean standardized error", "four outliers 2, 3, 4, 5", level
            )
        )
        n = int(rows["r"].sum())
        checks.append(
            T5Check(
                f"{model}: mean squared standardized error (its variance formula)",
                variance_test(float(rows["z_sq_equivalent"].sum()), n, level=level),
                int(rows["N"].max()),
                len(rows),
                "chi-square, two-sided",
            )
        )
    cross = study[study["study"] == "crossover"]
    if len(cross):
        rows = cross[(cross["min_spacing"] >= cross["fluctuation"]) & (cross["r"] > 1)]
        checks.append(
            _shift(
                rows["z_bottom_first_order"],
                rows["bias_bottom"],
                1.0,
                "first-order error of the lowest outlier against the closed-form shift (sd units)",
                int(rows["N"].max()),
                "outliers equally spaced in [2, 4], spacing >= sigma/sqrt(N)",
                level,
            )
        )
        checks.append(
            _location(
                cross,
                "equivalent",
                "deterministic equivalent, outliers in [2, 4]: mean standardized error",
                "every r, crowded ones included",
                level,
            )
        )
    return checks


def _slope(rows, predictor: str, level: float):
    sizes = sorted(rows["N"].unique())
    groups, counts = [], []
    for N in sizes:
        at = rows[rows["N"] == N]
        per_seed = at.groupby("replicate").apply(
            lambda g: float((g[f"z_sq_{predictor}"] * g["fluctuation"] ** 2).sum() / g["r"].sum()),
            include_groups=False,
        )
        groups.append(per_seed.to_numpy()[:, None])
        counts.append(float(at["r"].sum()))
    return bootstrap_slope(np.array(sizes, dtype=float), groups, predicted=-0.5, counts=counts, level=level)
