import json
from pathlib import Path

import nbformat
import pytest

from rmtlib.verdict import (
    VERDICT_KEY,
    VerdictError,
    check,
    read_verdicts,
    summary_line,
    verdict_html,
    verdict_table,
)

ROOT = Path(__file__).resolve().parents[1]


def test_pass_and_fail_follow_the_tolerance():
    assert check("T0", "x", predicted=1.0, observed=1.05, tolerance=0.1, N=10).passed
    failed = check("T0", "x", predicted=1.0, observed=1.2, tolerance=0.1, N=10)  # recorded, not raised
    assert not failed.passed and failed.margin == pytest.approx(2.0)
    assert failed.to_text().startswith(
        "[FAIL] T0 x: predicted 1, observed 1.2, |diff| 0.2 beyond tolerance 0.1"
    )


def test_tolerance_must_be_positive():
    with pytest.raises(ValueError, match="tolerance must be > 0"):
        check("T0", "x", predicted=1.0, observed=1.0, tolerance=0.0, N=10)


def test_nan_observation_is_refused():
    with pytest.raises(ValueError, match="observed must be finite"):
        check("T0", "x", predicted=1.0, observed=float("nan"), tolerance=1.0, N=10)


def test_round_trip_through_an_executed_notebook():
    nb = nbformat.v4.new_notebook()
    record = check("T3", "outlier", predicted=2.5, observed=2.49, tolerance=0.05, N=2000, seeds=4)
    cell = nbformat.v4.new_code_cell("verdict_table(verdicts)")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"text/plain": record.to_text()}, metadata={VERDICT_KEY: [record.__dict__]}
        )
    ]
    nb.cells.append(cell)
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)
    assert read_verdicts(nb) == [record]


def test_detectable_error_is_recorded_and_shown():
    record = check("T0", "x", predicted=1.0, observed=1.01, tolerance=0.05, N=10, detectable=0.07)
    assert record.detectable == 0.07
    assert "detects a relative error of 0.07" in record.to_text()
    assert "detects" not in check("T0", "x", predicted=1.0, observed=1.0, tolerance=0.1, N=10).to_text()
    with pytest.raises(ValueError, match="detectable must be > 0"):
        check("T0", "x", predicted=1.0, observed=1.0, tolerance=0.1, N=10, detectable=-1.0)


def test_plain_text_reads_as_a_sentence():
    text = check("T0", "x", predicted=1.0, observed=1.01, tolerance=0.05, N=10, note="t-test").to_text()
    assert text == (
        "[PASS] T0 x: predicted 1, observed 1.01, |diff| 0.01 within tolerance 0.05 "
        "(margin 0.20; N=10, seeds=1). t-test"
    )
    assert "?" not in text and " - " not in text


def _displayed(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda data, metadata, raw: shown.append((data, metadata)))
    return shown


def test_the_table_shows_every_verdict_once_with_one_summary(monkeypatch):
    shown = _displayed(monkeypatch)
    verdicts = [
        check(
            "T1",
            f"q{i}",
            predicted=0.0,
            observed=0.01 * i,
            tolerance=0.05,
            N=2500,
            detectable=0.3 if i else None,
        )
        for i in range(3)
    ]
    verdict_table(verdicts)
    ((data, metadata),) = shown
    html = data["text/html"]
    assert html.count('<tr class="rmtlib-pass">') == 3 and html.count("<table") == 1
    assert "3 of 3 verdicts passed (chapter runtime" in html and html.count("chapter runtime") == 1
    assert ">2,500<" not in html and "N = 2,500" in html  # N in the quantity's cell
    assert ">0.40<" in html  # margin of q2: 0.02 / 0.05
    assert "— where the check states no power" in html
    assert data["text/plain"].splitlines()[-1].startswith("3 of 3 verdicts passed")
    records = json.loads(json.dumps(metadata))[VERDICT_KEY]
    assert [r["quantity"] for r in records] == ["q0", "q1", "q2"]
    assert len({r["runtime_s"] for r in records}) == 1  # one runtime per chapter


def test_the_table_raises_naming_every_failed_verdict(monkeypatch):
    shown = _displayed(monkeypatch)
    verdicts = [
        check("T0", "good", predicted=0.0, observed=0.0, tolerance=1.0, N=10),
        check("T0", "bad one", predicted=0.0, observed=2.0, tolerance=1.0, N=10),
        check("T0", "bad two", predicted=0.0, observed=-3.0, tolerance=1.0, N=10),
    ]
    with pytest.raises(
        VerdictError, match=r"2 of 3 verdicts failed:\n\[FAIL\] T0 bad one.*\n\[FAIL\] T0 bad two"
    ):
        verdict_table(verdicts)
    assert len(shown) == 1 and "1 of 3 verdicts passed" in shown[0][0]["text/html"]  # shown before raising
    with pytest.raises(TypeError, match="verdicts must be a non-empty list"):
        verdict_table([])


def test_html_escapes_and_labels_cells_for_narrow_screens():
    v = check("T0", "a < b & c", predicted=1.0, observed=1.0, tolerance=1e-6, N=10)
    html = verdict_html([v], 1.0)
    assert "a &lt; b &amp; c" in html and 'data-label="tolerance" class="rmtlib-n">1e-6<' in html
    assert summary_line([v], 12.345) == "1 of 1 verdicts passed (chapter runtime 12.3 s)"
    bracketed = verdict_html(
        [check("T3", "mean of sqrt(N)(lambda_1 - rho)", predicted=0.0, observed=0.0, tolerance=1.0, N=10)],
        1.0,
    )
    assert (
        'mean of <span class="rmtlib-nobr">sqrt(N)(lambda_1</span> <span class="rmtlib-nobr">-</span> '
        '<span class="rmtlib-nobr">rho)</span>'
        in bracketed
    )


@pytest.mark.parametrize("chapter", sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))
def test_every_chapter_ends_with_its_verdict_table(chapter):
    """The last code cell of each chapter records its verdicts and shows them as one table."""
    nb = nbformat.read(str(ROOT / "notebooks" / f"{chapter}.ipynb"), as_version=4)
    last = [cell for cell in nb.cells if cell.cell_type == "code"][-1].source
    assert "check(" in last and last.rstrip().endswith("verdict_table(verdicts)"), last[-200:]


def test_noise_variance_power_against_a_hand_computation():
    from scipy import optimize, stats

    from rmtlib.verdict import noise_variance_detectable, noise_variance_power

    gaussian = check("T0", "pooled z", predicted=0.0, observed=0.3, tolerance=3.29, N=10,
                     noise_shift=-100.0, standard_error=1.0)
    step = check("T0", "KS", predicted=0.0, observed=0.01, tolerance=0.02, N=10,
                 noise_shift=0.5, standard_error=0.0)
    blind = check("T0", "count", predicted=3.0, observed=3.0, tolerance=0.5, N=10)
    # Gaussian: P(|N(-100 delta, 1)| > 3.29), both tails
    hand = float(stats.norm.sf(3.29 - 4.0) + stats.norm.cdf(-3.29 - 4.0))
    assert gaussian.noise_power(0.04) == pytest.approx(hand, rel=1e-12)
    assert gaussian.noise_power(-0.04) == pytest.approx(hand, rel=1e-12)
    def power(d):
        return stats.norm.sf(3.29 - 100 * d) + stats.norm.cdf(-3.29 - 100 * d)

    root = optimize.brentq(lambda d: power(d) - 0.9, 0, 1)
    assert gaussian.noise_detectable == pytest.approx(root, rel=1e-9)
    assert root == pytest.approx((3.29 + 1.2816) / 100, rel=1e-3)  # the other tail is negligible
    # the step: 0.5 |delta| > 0.02 from delta = 0.04 on
    assert step.noise_power(0.039) == 0.0 and step.noise_power(-0.041) == 1.0
    assert step.noise_detectable == pytest.approx(0.04)
    assert blind.noise_power(0.5) == 0.0 and blind.noise_detectable is None
    # together: the best single verdict (a lower bound on P(at least one fails))
    assert noise_variance_power([gaussian, step, blind], 0.03) == pytest.approx(gaussian.noise_power(0.03))
    assert noise_variance_power([gaussian, step, blind], 0.041) == 1.0
    assert noise_variance_detectable([gaussian, step, blind]) == pytest.approx(0.04)
    assert noise_variance_detectable([gaussian, blind]) == pytest.approx(root, rel=1e-9)
    assert noise_variance_detectable([blind]) is None


def test_noise_power_fields_are_checked_and_shown():
    with pytest.raises(ValueError, match="standard_error"):
        check("T0", "x", predicted=0.0, observed=0.0, tolerance=1.0, N=10, noise_shift=1.0,
              standard_error=-1.0)
    with pytest.raises(ValueError, match="noise_shift"):
        check("T0", "x", predicted=0.0, observed=0.0, tolerance=1.0, N=10, noise_shift=float("nan"))
    v = check("T0", "x", predicted=0.0, observed=0.0, tolerance=1.0, N=10, noise_shift=10.0,
              standard_error=0.0)
    assert "a noise-variance error of 0.1" in v.to_text()
    html = verdict_html([v], 1.0)
    assert "reject an error of 10% in the noise variance" in html


def test_a_student_verdicts_noise_power_is_the_noncentral_t_law():
    from scipy import stats

    # four draws: a t-test with 3 dof, tolerance = t quantile * estimated se
    quantile = float(stats.t.isf(5e-4, 3))
    v = check("T0", "mean", predicted=0.0, observed=0.0, tolerance=quantile * 0.01, N=10,
              noise_shift=0.5, standard_error=0.01, noise_dof=3)
    nc = 0.5 * 0.2 / 0.01
    hand = stats.nct.sf(quantile, 3, nc) + stats.nct.cdf(-quantile, 3, nc)
    assert v.noise_power(0.2) == pytest.approx(hand, rel=1e-9)
    # few degrees of freedom: far more than the Gaussian 1.28 standard errors beyond the tolerance
    assert v.noise_power(v.noise_detectable) == pytest.approx(0.9, abs=1e-9)
    assert v.noise_detectable * 0.5 > quantile * 0.01 + 3 * 0.01
