"""method="exact": the exact non-linear profile likelihood minimised with iminuit (likelihood/exact.py).

Checks that could fail: the exact limits agree with the fast re-linearised engine within its 1 %
re-linearisation tolerance away from resonances (10, 50, 300 GeV, wide); the exact CLs evaluated
afresh at the exact observed limit is 0.05; a non-converged Minuit fit gives NaN limits with a status
naming the fit and Minuit's diagnosis; bad methods are refused with the accepted list; iminuit is
named as the engine (and its version recorded) only for exact results.
"""

from __future__ import annotations

import iminuit
import numpy as np
import pytest
from click.testing import CliRunner

from kinmix_stats.cli import cli
from kinmix_stats.likelihood.exact import exact_cls, exact_limits
from kinmix_stats.likelihood.limits import cls_limits, default_likelihood, upper_limit
from kinmix_stats.scan import scan

MASSES = np.array([10.0, 50.0, 300.0])


@pytest.fixture(scope="module")
def like():
    return default_likelihood()


@pytest.fixture(scope="module")
def exact_curve(like):
    return scan(MASSES, "wide", ("exact",), likelihood=like)


@pytest.fixture(scope="module")
def fast(like):
    return cls_limits(like, MASSES, "wide")


def test_exact_agrees_with_fast_engine_within_relinearisation_tolerance(exact_curve, fast):
    assert exact_curve.status == ("ok",) * MASSES.size
    exact = np.column_stack([exact_curve.eps95_obs, exact_curve.eps95_exp_m2, exact_curve.eps95_exp_m1,
                             exact_curve.eps95_exp, exact_curve.eps95_exp_p1, exact_curve.eps95_exp_p2])
    ref = np.column_stack([fast.epsilon_observed, fast.expected_band])
    assert np.all(np.isfinite(exact))
    np.testing.assert_allclose(exact, ref, rtol=0.01)  # cls_limits re-linearises to rtol = 1 %
    # the band is ordered and the exact engine did not just return its starting point bit for bit
    assert np.all(np.diff(exact[:, 1:], axis=1) > 0)
    assert not np.array_equal(exact, ref)


def test_exact_cls_at_exact_limit_is_005(exact_curve, like):
    eps, med = float(exact_curve.eps95_obs[1]), float(exact_curve.eps95_exp[1])
    res = exact_cls(like, 50.0, [0.9 * eps, eps, 1.1 * eps, med], "wide")
    assert res["cls_observed"][1] == pytest.approx(0.05, abs=1e-3)
    # CLs falls with eps: 10 % above the limit it is excluded, 10 % below it is not
    assert res["cls_observed"][2] < 0.05 < res["cls_observed"][0]
    # the median expected CLs at the median expected limit is 0.05 too (Asimov fits)
    assert res["cls_expected"][3, 2] == pytest.approx(0.05, abs=1e-3)


def test_exact_metadata_names_iminuit(exact_curve):
    meta = exact_curve.metadata
    assert meta["methods"] == ["exact"]
    assert meta["engines"]["exact"]["engine"] == "iminuit"
    assert meta["engines"]["exact"]["version"] == meta["versions"]["iminuit"] == iminuit.__version__


def test_closed_form_results_do_not_name_iminuit(fast, like):
    assert fast.engine["engine"] == "closed form"
    assert "iminuit" not in str(fast.engine)
    curve = scan([50.0], "wide", ("cls",), likelihood=like)
    assert "iminuit" not in curve.metadata["versions"]
    assert set(curve.metadata["engines"]) == {"cls"}


def test_non_converged_minuit_fit_gives_status_not_number(like):
    res = exact_limits(like, [50.0], "wide", max_calls=3)
    assert np.all(np.isnan(res.epsilon_observed)) and np.all(np.isnan(res.expected_band))
    assert res.status[0].startswith("exact: Minuit migrad did not converge")
    assert "call limit 3 reached" in res.status[0]
    assert res.engine["engine"] == "iminuit"


def test_bad_method_and_options_are_refused(like):
    with pytest.raises(ValueError, match=r"unknown method 'pyhff'; accepted: 'cls', 'chi2', 'exact'"):
        upper_limit(50.0, "wide", "pyhff", likelihood=like)
    with pytest.raises(ValueError, match="'cls' and 'exact' both fill the CLs columns"):
        scan([50.0], "wide", ("cls", "exact"), likelihood=like)
    with pytest.raises(ValueError, match="max_calls must be None or an integer >= 1"):
        exact_limits(like, [50.0], "wide", max_calls=0)
    result = CliRunner().invoke(cli, ["limit", "--mass", "50", "--method", "exakt"])
    assert result.exit_code == 2
    assert "unknown method 'exakt'; accepted: 'cls', 'chi2', 'exact'" in result.output
