"""T8 experiments: the chapter's verdict statistics pass under the correct model and fail with the
noise variance 10% off (ci sizes), and its tables against direct computations."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from rmtlib.experiments import rectangular_growing, statistics


@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_bulk_verdict_rejects_a_wrong_noise_variance(gamma):
    outcome = {}
    for factor in (1.0, 1.1, 0.9):
        res = rectangular_growing.rectangular_bulk(
            N=150, gamma=gamma, n_draws=5, noise_variance_factor=factor, rng=np.random.default_rng(11)
        )
        outcome[factor] = statistics.pooled_t_check(res.mean_errors()).passed
    assert outcome == {1.0: True, 1.1: False, 0.9: False}


def test_outlier_verdicts_reject_a_wrong_noise_variance():
    """The outlier locations move less than the bulk (a 10% error in the noise variance moves them by
    about 0.6%, below what 16 matrices at N = 200 resolve): at ci sizes the check rejects 25%."""
    outcome = {}
    for factor in (1.0, 1.25, 0.75):
        rng = np.random.default_rng(12)
        runs = [
            rectangular_growing.rectangular_growing_outliers(
                N=200, alpha=a, noise_variance_factor=factor, rng=rng
            )
            for a in (0.5, 0.75)
            for _ in range(8)
        ]
        test = rectangular_growing.outlier_residual_test(runs, "equivalent")
        outcome[factor] = abs(test["mean"]) <= test["tolerance"]
    assert outcome == {1.0: True, 1.25: False, 0.75: False}


def test_first_order_fails_where_outliers_are_a_fraction_of_the_spectrum():
    rng = np.random.default_rng(13)
    runs = [
        rectangular_growing.rectangular_growing_outliers(N=200, alpha=0.8, family="crowded", rng=rng)
        for _ in range(4)
    ]
    first = rectangular_growing.outlier_residual_test(runs, "first_order")
    equiv = rectangular_growing.outlier_residual_test(runs, "equivalent")
    assert abs(first["mean"]) > first["tolerance"]
    assert abs(equiv["mean"]) <= equiv["tolerance"]


def _chapter_specs(factor, seed=15):
    """The T8 verdicts of one small chapter whose simulated noise variance is ``factor`` times the model's."""
    rng = np.random.default_rng(seed)
    bulk = {
        g: rectangular_growing.rectangular_bulk(
            N=150, gamma=g, n_draws=5, noise_variance_factor=factor, rng=rng
        )
        for g in (0.5, 2.0)
    }
    runs = {
        (n, a, k): rectangular_growing.rectangular_growing_outliers(
            N=n, alpha=a, noise_variance_factor=factor, rng=rng
        )
        for n in (60, 100)
        for a in (0.25,)
        for k in range(2)
    }
    _, crowded = rectangular_growing.crowded_study(
        N=60, alphas=[0.5], gamma=2.0, seeds=2, noise_variance_factor=factor, rng=rng
    )
    overlap_runs = [
        rectangular_growing.rectangular_growing_outliers(
            N=100,
            alpha=np.log(4) / np.log(100),
            spacing=1.0,
            overlaps=4,
            noise_variance_factor=factor,
            rng=rng,
        )
        for _ in range(2)
    ]
    return rectangular_growing.rectangular_growing_verdicts(bulk, runs, crowded, overlap_runs, seeds=2)


def test_rectangular_growing_verdicts_pass_under_the_model_and_reject_a_wrong_noise_variance():
    good = _chapter_specs(1.0)
    assert len(good) == 7 and {s["theorem"] for s in good} == {"T8"}
    assert [s["quantity"] for s in good if not statistics.passed(s)] == []
    assert {s["N"] for s in good} == {150, 100, 60} and good[2]["seeds"] == 2
    for factor in (1.1, 0.9):
        failed = [s["quantity"] for s in _chapter_specs(factor) if not statistics.passed(s)]
        assert any(q.startswith("bulk singular values") for q in failed), factor


def test_crowded_study_table_against_scipy():
    table, runs = rectangular_growing.crowded_study(
        N=100, alphas=[0.0, 0.5], gamma=2.0, seeds=3, rng=np.random.default_rng(16)
    )
    assert len(runs) == 6 and table["r"].tolist() == [1, 10]
    high = runs[3:]
    errors = np.concatenate([np.sqrt(100) * (x.observed - x.first_order) for x in high])
    t = stats.ttest_1samp(errors, 0.0).statistic
    assert table.loc[0.5, "t, first order"] == pytest.approx(t, rel=1e-12)
    assert table.loc[0.5, "spacing x sqrt(N)"] == pytest.approx(2.0 / 9 * 10)
    largest = max(np.abs(x.observed - x.equivalent).max() for x in high)
    assert table.loc[0.5, "max error, equivalent"] == largest


def test_bulk_and_overlap_tables():
    rng = np.random.default_rng(17)
    res = rectangular_growing.rectangular_bulk(N=100, gamma=2.0, n_draws=4, rng=rng)
    row = rectangular_growing.bulk_table({2.0: res}).iloc[0]
    errors = (res.observed - res.predicted).mean(axis=1)
    assert row["gamma"] == 2.0 and row["mean error"] == pytest.approx(errors.mean(), rel=1e-12)
    assert row["tolerance"] == pytest.approx(stats.t.isf(5e-4, 3) * stats.sem(errors), rel=1e-9)
    run = rectangular_growing.rectangular_growing_outliers(
        N=100, alpha=np.log(4) / np.log(100), spacing=1.0, overlaps=4, rng=rng
    )
    table = rectangular_growing.overlap_table([run])
    assert len(table) == 8 and set(table["side"]) == {"left (N-side)", "right (M-side)"}
    left = table[table["side"] == "left (N-side)"]
    np.testing.assert_array_equal(left["observed"], run.overlap_left)
    np.testing.assert_array_equal(left["s"], run.s_outliers[::-1])


def test_error_slopes_draw_their_bootstrap_from_rng():
    study = pd.DataFrame(
        [
            {"alpha": a, "N": n, "replicate": k, "e": (1 + 0.1 * k) / np.sqrt(n), "f": (1 + 0.1 * k) / n}
            for a in (0.0, 0.5)
            for n in (100, 400, 1600)
            for k in range(3)
        ]
    )
    slopes = rectangular_growing.error_slopes(
        study, alphas=[0.0, 0.5], errors=["e", "f"], rng=np.random.default_rng(3)
    )
    assert slopes[["alpha", "error"]].values.tolist() == [[0.0, "e"], [0.0, "f"], [0.5, "e"], [0.5, "f"]]
    np.testing.assert_allclose(slopes["slope"], [-0.5, -1.0, -0.5, -1.0], atol=1e-12)
    g = np.random.default_rng(3)
    direct = [
        statistics.loglog_slope_interval(study[study["alpha"] == a], x="N", y=e, rng=g)
        for a in (0.0, 0.5)
        for e in "ef"
    ]
    assert slopes["low"].tolist() == [d["low"] for d in direct] and slopes["high"].tolist() == [
        d["high"] for d in direct
    ]


def test_error_study_is_one_summary_row_per_matrix():
    rng = np.random.default_rng(18)
    runs = {
        (n, 0.3, k): rectangular_growing.rectangular_growing_outliers(N=n, alpha=0.3, rng=rng)
        for n in (60, 120)
        for k in range(2)
    }
    study = rectangular_growing.error_study(runs)
    assert study[["N", "alpha", "replicate"]].to_numpy().tolist() == [list(key) for key in runs]
    for row, res in zip(study.to_dict("records"), runs.values(), strict=True):
        assert row["max_error_first_order"] == np.abs(res.observed - res.first_order).max()
        assert row["mean_residual_equivalent"] == pytest.approx(
            np.mean(res.observed - res.equivalent), rel=1e-14
        )
