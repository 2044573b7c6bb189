"""Golden test: the headline limits of the default scan, pinned to committed values at rtol 1e-6.

``tests/golden/headline_limits.json`` holds CLs observed and median expected limits on Hook's eps at 10
masses of the default grid (1-1000 GeV) for both widths of ``make demo``, with the full default likelihood.
Any change of physics, data or statistics that moves a headline number makes this test fail, so the drift
is seen and reviewed. When such a change is deliberate, regenerate the file with
``.venv/bin/python tools/regenerate_golden.py``, check ``git diff tests/golden`` and explain in the commit
message why the numbers moved (a new dataset also changes ``catalogue_hash``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import kinmix_stats as km
from kinmix_stats.likelihood.limits import default_likelihood

GOLDEN = json.loads((Path(__file__).parent / "golden" / "headline_limits.json").read_text())
REGENERATE = "deliberate change? regenerate with tools/regenerate_golden.py and explain the move in the commit"


@pytest.mark.parametrize("width", sorted(GOLDEN["limits"]))
def test_headline_limits_match_the_committed_values(width):
    like = default_likelihood()
    assert like.catalogue.catalogue_hash() == GOLDEN["catalogue_hash"], f"data catalogue changed; {REGENERATE}"
    masses = np.array(GOLDEN["mass_gev"])
    curve = km.scan(masses, width, method="cls", likelihood=like)
    want = GOLDEN["limits"][width]
    assert list(curve.status) == want["status"], REGENERATE
    for column in ("eps95_obs", "eps95_exp"):
        np.testing.assert_allclose(curve.column(column), want[column], rtol=1e-6, err_msg=f"{column}: {REGENERATE}")
    # the pinned numbers are physical limits, not placeholders: 1e-4 < eps < 1 everywhere
    obs, exp = np.array(want["eps95_obs"]), np.array(want["eps95_exp"])
    assert np.all((obs > 1e-4) & (obs < 1.0) & (exp > 1e-4) & (exp < 1.0))


@pytest.mark.parametrize("width", ["wide", "narrow"])
def test_readme_hook_table_states_what_the_code_gives(width):
    """The README's "ours vs Hook et al." table (typed numbers) equals km.upper_limit to its printed digits."""
    lines = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8").splitlines()
    header = next(line for line in lines if line.startswith("| m_Z′ [GeV] |"))
    masses = np.array([float(c) for c in header.strip("|").split("|")[1:]])
    row = next(line for line in lines if line.startswith(f"| ours, {width} |"))
    printed = [c.strip() for c in row.strip("|").split("|")[1:]]
    limits = km.upper_limit(masses, width, likelihood=default_likelihood()).limit_observed
    expected = [f"{x:.4f}" if x < 0.1 else f"{x:.3g}" for x in limits]
    assert printed == expected, "README table stale: regenerate the 'ours' rows from km.upper_limit"
