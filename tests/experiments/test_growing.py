"""Tests of the T5 experiments (rmtlib.experiments.growing) and their statistics.

Closed forms against direct sums, the experiment against an independent computation of the
same matrix, the variance formulas against Monte Carlo, and the chapter's verdict
computation: it passes under the model and fails under each named wrong model (power),
and its statistics are calibrated at the smallest sizes the chapter's rules allow.
"""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import linalg as sla
from scipy import stats

from rmtlib.experiments import full_rank, growing, statistics
from rmtlib.laws import Uniform
from rmtlib.outliers import deterministic_equivalent, predict_outliers
from rmtlib.profiles import load_profiles
from rmtlib.samplers import spectrum_with_outliers, wigner

UNIFORM = Uniform(low=-1.0, high=1.0)


def rng(seed=0):
    return np.random.default_rng(seed)


# ----------------------------------------------------------------------------- designs and closed forms


def test_families_separate_many_from_crowded():
    for N in (100, 400, 1600):
        many = growing.outlier_design("many", N, alpha=0.5, spacing=0.25)
        assert many.size == round(N**0.5)
        np.testing.assert_allclose(np.diff(many), 0.25)  # the spacing never shrinks
        crowded = growing.outlier_design("crowded", N, beta=0.75, spacing=0.25, n_crowded=6)
        assert crowded.size == 6 and crowded.mean() == pytest.approx(3.0)
        np.testing.assert_allclose(np.diff(crowded), 0.25 * (N / 250) ** -0.75)
    np.testing.assert_allclose(growing.outlier_design("interval", 400, alpha=0.5), np.linspace(2.0, 4.0, 20))
    with pytest.raises(ValueError, match="family"):
        growing.outlier_design("dense", 100)
    with pytest.raises(ValueError, match="theta_low"):
        growing.outlier_design("interval", 100, alpha=0.5, theta_low=4.0, theta_high=3.0)


@pytest.mark.parametrize("r", [2, 3, 10, 57])
def test_end_of_cluster_closed_form_is_the_direct_sum(r):
    N, width = 1000, 2.0
    thetas = np.linspace(2.0, 2.0 + width, r)
    direct = np.array([np.sum(1.0 / (t - np.delete(thetas, j))) for j, t in enumerate(thetas)]) / N
    assert growing.end_of_cluster_shift(r, N, width=width) == pytest.approx(direct[-1], rel=1e-12)
    assert direct[0] == pytest.approx(-direct[-1], rel=1e-12)
    assert np.argmax(np.abs(direct)) in (0, r - 1)  # largest at the ends of the cluster
    d = width / (r - 1)
    harmonic = np.cumsum(np.r_[0.0, 1.0 / np.arange(1, r)])  # H_0 .. H_{r-1}
    np.testing.assert_allclose(direct, (harmonic - harmonic[::-1]) / (N * d), atol=1e-15)


def test_end_of_cluster_shift_is_r_log_r_over_2N_to_leading_order():
    for r in (10**3, 10**5, 10**7):
        ratio = growing.end_of_cluster_shift(r, 10**8, width=2.0) / (r / (2 * 10**8) * np.log(r))
        assert 1.0 < ratio < 1.0 + 0.6 / np.log(r)  # (r-1) H_{r-1} / (r log r) = 1 + gamma/log r + ...


def test_crossover_rank_solves_shift_equals_fluctuation():
    for N in (400, 2000, 10_000):
        r = growing.crossover_rank(N, width=2.0)
        lo, hi = (
            growing.end_of_cluster_shift(int(np.floor(r)), N, width=2.0),
            growing.end_of_cluster_shift(int(np.ceil(r)), N, width=2.0),
        )
        assert lo <= 1 / np.sqrt(N) <= hi
        assert 0.5 < r * np.log(r) / (2 * np.sqrt(N)) < 1.5  # r log r ~ 2 sqrt(N)
    assert growing.crossover_rank(2000, width=2.0, level=2.0) > growing.crossover_rank(2000, width=2.0)


def test_leave_one_out_shift_is_the_exact_finite_spectrum_to_first_order():
    """theta_j + sigma^2/N sum_{k != j} 1/(theta_j - s_k) over the exact spectrum of S."""
    N, sigma = 2000, 0.8
    thetas = growing.outlier_design("many", N, alpha=0.5)
    s = spectrum_with_outliers(N, bulk=UNIFORM, outliers=thetas)
    exact = np.array(
        [
            t + sigma**2 / N * np.sum(1.0 / (t - np.delete(s, N - thetas.size + j)))
            for j, t in enumerate(thetas)
        ]
    )
    first = predict_outliers(thetas, UNIFORM, sigma).rho
    shift = growing.leave_one_out_shift(thetas, N, UNIFORM, sigma)
    assert np.max(np.abs(first + shift - exact)) < 1e-5  # quadrature error of the quantiles, O(1/N^2)
    assert np.max(np.abs(shift)) > 100 * 1e-5


def test_outlier_variance_reduces_to_the_spike_formulas():
    o = np.array([0.5, 0.75, 0.95])
    G = np.array([0.3, 0.5, 0.7])
    np.testing.assert_allclose(
        growing.outlier_variance(o, G, N=10), statistics.outlier_fluctuation_variance(o) / 10
    )
    np.testing.assert_allclose(
        growing.outlier_variance(o, G, N=10, basis="haar"),
        statistics.outlier_fluctuation_variance(o, basis="haar") / 10,
    )
    # o = 1 (no noise coupling) leaves only the diagonal entry: sigma^2/N whatever the kurtosis
    assert growing.outlier_variance(1.0, 0.3, N=4, sigma=2.0, kurtosis=-2.0) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="overlap"):
        growing.outlier_variance(0.0, 0.3, N=4)


@pytest.mark.parametrize("entries", ["gaussian", "rademacher", "uniform", "sparse"])
def test_entry_excess_kurtosis_matches_the_sampler(entries):
    N = 600
    x = wigner(N, entries=entries, rng=rng(3))[np.triu_indices(N)] * np.sqrt(N)
    assert stats.kurtosis(x) == pytest.approx(growing.entry_excess_kurtosis(entries), abs=0.08)


# ----------------------------------------------------------------------------- one matrix


def test_growing_outliers_reports_the_top_of_the_spectrum_of_the_same_matrix():
    N = 200
    res = growing.growing_outliers(N=N, alpha=0.25, family="many", noise_variance_factor=1.21, rng=rng(13))
    s = spectrum_with_outliers(N, bulk=UNIFORM, outliers=res.thetas[::-1])
    H = wigner(N, sigma=1.1, rng=rng(13))  # the factor scales the noise variance of the data
    H[np.diag_indices(N)] += s
    full = sla.eigvalsh(H)[::-1]
    np.testing.assert_allclose(res.observed, full[: res.r], atol=1e-10)
    assert res.next_eigenvalue == pytest.approx(full[res.r], abs=1e-10)
    # the predictions never see the factor
    np.testing.assert_allclose(res.first_order, predict_outliers(res.thetas, UNIFORM, 1.0).rho)
    np.testing.assert_allclose(
        res.equivalent, deterministic_equivalent(s, 1.0).eigenvalues[::-1][: res.r], atol=1e-8
    )


def test_overlaps_follow_their_deterministic_equivalent_for_diagonal_and_haar_S():
    for basis in ("diagonal", "haar"):
        res = growing.growing_outliers(N=600, alpha=0.5, family="many", basis=basis, vectors=True, rng=rng(4))
        diff = res.overlap_observed - res.overlap_equivalent
        assert abs(diff.mean()) < 4 * diff.std() / np.sqrt(res.r)
        assert np.all(res.overlap_equivalent < res.overlap_first_order)  # the missing bulk mass


def test_variance_formulas_by_monte_carlo():
    """N Var(lambda) for diagonal/Haar S and Rademacher noise: outliers 2, 3, 4, 5 at N = 200."""
    design = {"family": "crowded", "beta": 0.0, "spacing": 1.0, "n_crowded": 4, "theta_center": 3.5}
    for params in growing.FLUCTUATION_MODELS.values():
        z = np.array(
            [
                (lambda r: (r.observed - r.equivalent) / r.sd)(
                    growing.growing_outliers(N=200, **design, **params, rng=rng(100 + k))
                )
                for k in range(60)
            ]
        )
        q = np.mean(z**2)
        assert abs(q - 1) < 4 * np.sqrt(2 / z.size) + 0.1, (
            params
        )  # chi-square with 240 df, O(1/sqrt(N)) slack


def test_growing_outliers_refuses_bad_input():
    with pytest.raises(ValueError, match="threshold"):
        growing.growing_outliers(N=100, family="many", theta_low=1.2, rng=rng())
    with pytest.raises(ValueError, match="bulk"):
        growing.growing_outliers(N=100, bulk="cauchy", rng=rng())
    with pytest.raises(ValueError, match="noise_variance_factor"):
        growing.growing_outliers(N=100, noise_variance_factor=0.0, rng=rng())
    with pytest.raises(ValueError, match="alpha"):
        growing.growing_outliers(N=100, alpha=1.5, rng=rng())
    with pytest.raises(TypeError, match="rng"):
        growing.growing_outliers(N=100, rng=0)


# ----------------------------------------------------------------------------- pooled statistics


def test_pooled_tests_closed_forms():
    t = stats.norm.isf(5e-4)
    test = statistics.standardized_mean_test(3.0, 100, effect=0.5)
    assert test.tolerance == pytest.approx(t / 10) and test.detectable == pytest.approx(
        (t + 1.2815516) / 10 / 0.5
    )
    # a shift of exactly `detectable` (relative) is rejected with probability 0.9
    shift = test.detectable * 0.5
    assert stats.norm.sf((test.tolerance - shift) * 10) == pytest.approx(0.9, abs=1e-6)
    var = statistics.variance_test(100.0, 100)
    assert var.passed and var.tolerance == pytest.approx(stats.chi2.isf(5e-4, 100) / 100 - 1)
    assert not statistics.variance_test(100 * (1 + 1.01 * var.tolerance), 100).passed


# ----------------------------------------------------------------------------- the chapter's verdicts

CI = load_profiles("notebooks/profiles.yml")["05_growing_outliers"]["ci"]
STUDY = {k: CI[k] for k in ("sizes", "seeds", "dense_N", "dense_alphas", "fluct_N", "fluct_seeds")}
STUDY.update(alphas=[0.0, 0.25, 0.5, 0.75], betas=[0.25, 1.0])


@pytest.fixture(scope="module")
def null_study():
    return growing.t5_study(**STUDY, rng=rng(CI["seed"]))


def _failed(checks):
    return {c.quantity for c in checks if not c.passed}


def test_the_verdicts_pass_under_the_model(null_study):
    checks = growing.growing_verdicts(null_study)
    assert len(checks) >= 15
    assert _failed(checks) == set()
    assert all(c.detectable > 0 for c in checks)


@pytest.mark.parametrize("factor", [1.1, 0.9])
def test_the_verdicts_reject_a_noise_variance_ten_percent_off(factor):
    checks = growing.growing_verdicts(
        growing.t5_study(**STUDY, noise_variance_factor=factor, rng=rng(CI["seed"]))
    )
    failed = _failed(checks)
    assert "deterministic equivalent, many outliers: mean standardized error" in failed
    assert "leave-one-out prediction, many outliers: mean standardized error" in failed
    assert "deterministic equivalent, outliers in [2, 4]: mean standardized error" in failed
    assert len(failed) >= 6


def test_the_verdicts_reject_twice_sigma_squared_in_the_first_order(null_study):
    """H_sigma with 2 sigma^2: every first-order error moves by -(rho_j - theta_j), i.e. -displacement/sd."""
    wrong = null_study.copy()
    wrong["z_sum_first_order"] -= wrong["displacement_sum"]
    checks = growing.growing_verdicts(wrong)
    assert "first order H_sigma(theta), alpha < 1/2: mean standardized error" in _failed(checks)
    passed_before = {c.quantity for c in growing.growing_verdicts(null_study) if c.passed}
    assert passed_before >= _failed(checks)


def test_the_verdicts_reject_the_other_fluctuation_formula(null_study):
    haar = null_study["model"] == "Haar S, Gaussian"
    ratio = growing.outlier_variance(
        np.array([0.9333, 0.875, 0.7778, 0.6667]), 0.5, N=1, basis="haar"
    ) / growing.outlier_variance(np.array([0.9333, 0.875, 0.7778, 0.6667]), 0.5, N=1)
    wrong = null_study.copy()
    wrong.loc[haar, "z_sq_equivalent"] *= ratio.mean()  # Haar data, diagonal formula
    assert "Haar S, Gaussian: mean squared standardized error (its variance formula)" in _failed(
        growing.growing_verdicts(wrong)
    )


@pytest.mark.slow  # six whole studies: fewer would not measure a false-alarm rate (nightly, make test-all)
def test_the_verdicts_are_calibrated_at_the_smallest_allowed_sizes():
    """Repeated draws under the model at the rules' minimum sizes: the pooled statistics are N(0, 1)."""
    rules = load_profiles("notebooks/profiles.yml")["05_growing_outliers"]["rules"]
    small = {
        "sizes": [rules["sizes"]["min"], 2 * rules["sizes"]["min"]],
        "seeds": rules["seeds"]["min"],
        "dense_N": rules["dense_N"]["min"],
        "dense_alphas": [0.2, 0.5, 0.7],
        "fluct_N": rules["fluct_N"]["min"],
        "fluct_seeds": rules["fluct_seeds"]["min"],
        "alphas": [0.0, 0.25, 0.5, 0.75],
        "betas": [0.25, 1.0],
    }
    z, failures = [], 0
    for k in range(6):
        for c in growing.growing_verdicts(growing.t5_study(**small, rng=rng(1000 + k))):
            failures += not c.passed
            if c.quantity.endswith(("mean standardized error", "(sd units)")):  # the known-sd mean tests
                z.append((c.observed - c.predicted) / (c.tolerance / stats.norm.isf(5e-4)))
    z = np.array(z)
    assert failures == 0
    assert abs(z.mean()) < 4 / np.sqrt(z.size) + 0.15  # finite-N bias at N = 100 stays small
    assert 0.5 < np.mean(z**2) < 1.6


def test_a_sweep_store_replaces_the_many_study():
    """Rows as a sweep store holds them (parameters and metrics per task) feed every many-family check."""
    import pandas as pd

    rows = [
        {
            "N": N,
            "alpha": a,
            "family": "many",
            "replicate": k,
            "seed": 2025,
            "status": "done",
            **growing.outlier_errors(N=N, alpha=a, family="many", vectors=True, rng=rng(10 * k + N)),
        }
        for N in (200, 300)
        for a in (0.0, 0.5)
        for k in range(3)
    ]
    study = growing.t5_study(
        sizes=[200],
        alphas=[],
        betas=[],
        seeds=2,
        dense_N=200,
        dense_alphas=[],
        fluct_N=100,
        fluct_seeds=2,
        many_rows=pd.DataFrame(rows),
        rng=rng(),
    )
    quantities = {c.quantity for c in growing.growing_verdicts(study)}
    assert (
        "eigenvector overlaps, many outliers: mean error against the deterministic equivalent" in quantities
    )
    assert "slope of the scaled RMS error of the equivalent (all alpha)" in quantities
    assert (study["study"] == "many").sum() == len(rows)


def test_the_count_of_eigenvalues_outside_the_bulk_with_subcritical_outliers():
    empty = pd.DataFrame({"study": pd.Series(dtype=str), "model": pd.Series(dtype=str)})
    absorbed = full_rank.outlier_comparison(N=300, nu=UNIFORM, thetas=[1.05, 2.5, 3.0], rng=rng(41))
    [spec] = growing.growing_verdicts(empty, absorbed, absorbed_N=300)
    assert spec["quantity"] == "eigenvalues outside the bulk with subcritical outliers"
    assert (spec["theorem"], spec["N"], spec["predicted"]) == ("T5", 300, absorbed.count_predicted)
    assert absorbed.count_predicted == 2 and statistics.passed(spec)
    miscounted = dataclasses.replace(absorbed, count_observed=absorbed.count_predicted + 1)
    assert not statistics.passed(growing.growing_verdicts(empty, miscounted, absorbed_N=300)[0])
    with pytest.raises(TypeError, match="absorbed_N"):
        growing.growing_verdicts(empty, absorbed)


def test_error_slopes_of_an_exact_power_law():
    sizes, predictors = [100, 400, 1600], {"first_order": "first order", "equivalent": "det. equivalent"}
    many = pd.DataFrame(
        [
            {"exponent": 0.5, "N": n, "replicate": k, "r": 2, "fluctuation": 0.5, **cols}
            for n in sizes
            for k in range(3)
            for cols in [
                {f"z_sq_{p}": 8.0 / (0.25 * n) for p in predictors}
                | {f"max_error_{p}": 3 / np.sqrt(n) for p in predictors}
            ]
        ]
    )
    slopes = growing.error_slopes(many, predictors)
    assert slopes.index.tolist() == [(0.5, "first order"), (0.5, "det. equivalent")]
    np.testing.assert_allclose(slopes["RMS slope"], -0.5, atol=1e-12)
    np.testing.assert_allclose(slopes["max-error slope"], -0.5, atol=1e-12)
    assert set(slopes["RMS 95% interval"]) == {"[-0.50, -0.50]"}


# ----------------------------------------------------------------------------- the chapter's tables


def _synthetic_rows(seed=0):
    """A small study frame with the columns the chapter's tables read, arbitrary numbers."""
    g = rng(seed)
    rows = []
    for exponent in (0.25, 0.5):
        for N in (100, 400):
            for replicate in range(3):
                r = int(round(N**exponent))
                rows.append(
                    {
                        "exponent": exponent,
                        "N": N,
                        "replicate": replicate,
                        "r": r,
                        **{f"z_sq_{p}": g.chisquare(r) for p in growing.PREDICTORS},
                        **{
                            f"z_{end}_{p}": g.normal()
                            for end in ("top", "bottom")
                            for p in growing.PREDICTORS
                        },
                        "bias_top": g.normal(),
                        "bias_bottom": g.normal(),
                        "min_spacing": g.uniform(0.01, 0.1),
                        "fluctuation": g.uniform(0.02, 0.05),
                    }
                )
    return pd.DataFrame(rows)


def test_rms_and_lowest_tables_are_the_direct_group_sums():
    rows = _synthetic_rows()
    predictors = {"first_order": "first order", "equivalent": "det. equivalent"}
    rms = growing.rms_error_table(rows, predictors)
    low = growing.lowest_outlier_table(rows)
    assert list(rms.index.names) == ["alpha", "N"] == list(low.index.names)
    for (a, N), part in rows.groupby(["exponent", "N"]):
        for p, label in predictors.items():
            direct = np.sqrt(sum(part[f"z_sq_{p}"]) / sum(part["r"]))
            assert rms.loc[(a, N), f"rms z, {label}"] == pytest.approx(direct, rel=1e-14)
        assert rms.loc[(a, N), "r"] == round(N**a)
        assert low.loc[(a, N), "leave-one-out shift (predicted)"] == pytest.approx(
            np.mean(part["bias_bottom"])
        )
        assert low.loc[(a, N), "det. equivalent, observed"] == pytest.approx(
            np.mean(part["z_bottom_equivalent"])
        )


def test_cluster_ends_table_is_the_mean_over_seeds():
    rows = _synthetic_rows(1)
    ends = growing.cluster_ends_table(rows)
    assert list(ends.index.names) == ["beta", "N"]
    part = rows[(rows["exponent"] == 0.5) & (rows["N"] == 400)]
    assert ends.loc[(0.5, 400), "observed_top"] == pytest.approx(np.mean(part["z_top_first_order"]))
    assert ends.loc[(0.5, 400), "spacing_in_sd"] == pytest.approx(
        np.mean(part["min_spacing"] / part["fluctuation"])
    )


def test_crossover_table_sums_per_rank_and_the_closed_form():
    rows = _synthetic_rows(2).assign(r=lambda f: f["r"].astype(float))
    table = growing.crossover_table(rows, N=400, sigma=0.5)
    assert table.index.dtype.kind == "i"
    for r, part in rows.groupby("r"):
        assert table.loc[int(r), "rms z, equivalent"] == pytest.approx(
            np.sqrt(sum(part["z_sq_equivalent"]) / sum(part["r"])), rel=1e-14
        )
        assert table.loc[int(r), "z_bottom_leave_one_out"] == pytest.approx(
            np.mean(part["z_bottom_leave_one_out"])
        )
        # the closed form of the shift in units of sigma / sqrt(N) = 0.5 / 20
        assert table.loc[int(r), "closed form (r-1) H_(r-1) / (2N) / sd"] == pytest.approx(
            growing.end_of_cluster_shift(int(r), 400, width=2.0, sigma=0.5) / (0.5 / 20)
        )


def test_variance_table_columns_are_the_variance_formula_per_model():
    table = growing.variance_table([5.0, 3.0], UNIFORM, N=200, sigma=1.0)
    prediction = predict_outliers([5.0, 3.0], UNIFORM, 1.0)
    np.testing.assert_array_equal(table.index, prediction.theta)
    np.testing.assert_array_equal(table["overlap o"], prediction.overlap)
    G = -UNIFORM.stieltjes(prediction.theta + 0j).real
    for model, params in growing.FLUCTUATION_MODELS.items():
        direct = 200 * growing.outlier_variance(
            prediction.overlap,
            G,
            N=200,
            sigma=1.0,
            basis=params["basis"],
            kurtosis=growing.entry_excess_kurtosis(params["entries"]),
        )
        np.testing.assert_allclose(table[model], direct, rtol=1e-14)
    assert (table.drop(columns="overlap o") > 0).all().all()


def test_mean_squared_z_by_model_pools_outliers():
    fluct = pd.DataFrame({"model": ["a", "a", "b"], "z_sq_equivalent": [3.0, 5.0, 2.0], "r": [4, 4, 1]})
    q = growing.mean_squared_z_by_model(fluct)
    assert q["a"] == 1.0 and q["b"] == 2.0


def test_overlap_error_table_pools_the_outliers_at_the_largest_size():
    rows = _synthetic_rows(3).assign(
        overlap_sum_first_order=lambda f: 0.1 * f["r"],
        overlap_sum_equivalent=lambda f: 0.01 * f["r"],
        overlap_sq_equivalent=lambda f: 0.04 * f["r"],
    )
    table = growing.overlap_error_table(rows)
    assert table.index.name == "alpha" and table.index.tolist() == [0.25, 0.5]
    part = rows[(rows["N"] == 400) & (rows["exponent"] == 0.5)]
    assert table.loc[0.5, "outliers"] == part["r"].sum() == 3 * 20
    assert table.loc[0.5, "mean error, limit formula"] == pytest.approx(0.1)
    assert table.loc[0.5, "mean error, deterministic equivalent"] == pytest.approx(0.01)
    assert table.loc[0.5, "rms error, deterministic equivalent"] == pytest.approx(0.2)
