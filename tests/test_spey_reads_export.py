"""spey (``spey-pyhf`` backend) reads our exported likelihood and gives our limit.

Needed options (documented in the README): pass the patch's JSON-Patch operations as ``signal_patch`` and the
background-only workspace as ``background_only_model``; our signal yields are signed (the mirrored bins carry
+/- the same yield), so call ``exclusion_confidence_level(..., allow_negative_signal=False)`` (spey's default
``True`` derives a negative POI bound from the yields and its fit refuses the crossed bounds). Measured at
49.2 GeV (wide): spey's observed mu95 = 1.0005 vs ours 1.0001, its a-priori expected 1.2635 vs ours 1.2627.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

spey = pytest.importorskip("spey")
pytest.importorskip("spey_pyhf")

from kinmix_stats.likelihood.cls import cls_limit
from kinmix_stats.likelihood.limits import default_likelihood

WS = Path(__file__).resolve().parents[1] / "workspaces"


def test_spey_pyhf_gives_our_limit_on_the_committed_export():
    bkg = json.loads((WS / "bkgonly.json").read_text())
    patch = next(p for p in json.loads((WS / "patchset.json").read_text())["patches"]
                 if p["metadata"]["name"] == "mass_49p2388_wide")
    mass, _, eps_ref = patch["metadata"]["values"]
    like = default_likelihood()
    delta, _ = like.delta_th(np.array([mass]), eps_ref, "wide")
    ours = cls_limit(like.base_problem().with_signal(delta[0]))
    model = spey.get_backend("pyhf")(background_only_model=bkg, signal_patch=patch["patch"], analysis="kinmix")
    assert model.poi_upper_limit(expected=spey.ExpectationType.observed) == pytest.approx(ours.observed_mu, rel=2e-3)
    assert model.poi_upper_limit(expected=spey.ExpectationType.apriori) == pytest.approx(ours.expected_mu[2], rel=2e-3)
    one_minus_cls = model.exclusion_confidence_level(poi_test=1.0, allow_negative_signal=False)[0]
    assert 1.0 - one_minus_cls == pytest.approx(0.05, abs=1e-3)  # eps_ref is our observed limit
