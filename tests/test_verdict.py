import nbformat
import pytest

from rmtlib.verdict import VERDICT_KEY, VerdictError, check, read_verdicts


def test_pass_and_fail_follow_the_tolerance():
    assert check("T0", "x", predicted=1.0, observed=1.05, tolerance=0.1, N=10, display=False).passed
    with pytest.raises(VerdictError, match=r"\[FAIL\] T0 x: predicted 1, observed 1.2"):
        check("T0", "x", predicted=1.0, observed=1.2, tolerance=0.1, N=10, display=False)


def test_tolerance_must_be_positive():
    with pytest.raises(ValueError, match="tolerance must be > 0"):
        check("T0", "x", predicted=1.0, observed=1.0, tolerance=0.0, N=10, display=False)


def test_nan_observation_is_refused():
    with pytest.raises(ValueError, match="observed must be finite"):
        check("T0", "x", predicted=1.0, observed=float("nan"), tolerance=1.0, N=10, display=False)


def test_round_trip_through_an_executed_notebook():
    nb = nbformat.v4.new_notebook()
    record = check("T3", "outlier", predicted=2.5, observed=2.49, tolerance=0.05, N=2000, seeds=4,
                   display=False)
    cell = nbformat.v4.new_code_cell("check(...)")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/plain": record.to_text()},
                                           metadata={VERDICT_KEY: record.__dict__})]
    nb.cells.append(cell)
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)
    assert read_verdicts(nb) == [record]


def test_detectable_error_is_recorded_and_shown():
    record = check("T0", "x", predicted=1.0, observed=1.01, tolerance=0.05, N=10, detectable=0.07,
                   display=False)
    assert record.detectable == 0.07
    assert "detects a relative error of 0.07" in record.to_text()
    assert "detects" not in check("T0", "x", predicted=1.0, observed=1.0, tolerance=0.1, N=10,
                                  display=False).to_text()
    with pytest.raises(ValueError, match="detectable must be > 0"):
        check("T0", "x", predicted=1.0, observed=1.0, tolerance=0.1, N=10, detectable=-1.0, display=False)
