"""Workspaces exported from saved curves use the likelihood the curves were scanned with.

``kinmix export --from DIR`` (and :func:`kinmix_stats.io.workspaces.export_workspaces` without ``likelihood``)
rebuild it from the curve metadata: datasets, W-mass choice, beam-energy spread and catalogue hash.
Before this, a scan made with ``--mw-choice CDF2022`` was exported against the PDG 2024 W mass.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from click.testing import CliRunner

from kinmix_stats.cli import cli
from kinmix_stats.io.curves import content_sha256, read_limits_json, write_limits_json
from kinmix_stats.io.workspaces import export_workspaces
from kinmix_stats.likelihood.limits import default_likelihood
from kinmix_stats.likelihood.precision import PrecisionLikelihood
from kinmix_stats.scan import scan
from kinmix_stats.scan.metadata import likelihood_from_metadata

MASSES = np.array([20.0, 150.0])
SMALL = ["pdg2024_mz", "w_mass", "lep_zpole_lineshape", "sld_lepton_asymmetries"]


@pytest.fixture(scope="module")
def cdf_like() -> PrecisionLikelihood:
    return PrecisionLikelihood(mw_choice="CDF2022", beam_spread_rel=2e-3)


@pytest.fixture(scope="module")
def cdf_dir(tmp_path_factory, cdf_like):
    out = tmp_path_factory.mktemp("cdf_scan")
    write_limits_json(scan(MASSES, "wide", ("cls",), likelihood=cdf_like), out / "limits_wide.json")
    return out


@pytest.fixture(scope="module")
def small_like() -> PrecisionLikelihood:
    """The CDF W mass and the beam spread on four datasets (which files an export writes does not depend on them)."""
    return PrecisionLikelihood(datasets=SMALL, mw_choice="CDF2022", beam_spread_rel=2e-3)


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory, small_like):
    out = tmp_path_factory.mktemp("small_scan")
    write_limits_json(scan(MASSES, "wide", ("cls",), likelihood=small_like), out / "limits_wide.json")
    return out


def test_metadata_records_the_likelihood_choices(cdf_dir, cdf_like):
    meta = read_limits_json(cdf_dir / "limits_wide.json").metadata
    assert meta["mw_choice"] == "CDF2022"
    assert meta["assumptions"]["beam_spread_rel"] == 2e-3
    rebuilt = likelihood_from_metadata(meta)
    assert rebuilt.catalogue.catalogue_hash() == cdf_like.catalogue.catalogue_hash()
    assert rebuilt.beam_spread_rel == 2e-3 and rebuilt.mw_choice == "CDF2022"


def test_cli_export_uses_the_scanned_w_mass(cdf_dir, cdf_like, tmp_path):
    res = CliRunner().invoke(cli, ["export", "--from", str(cdf_dir), "--out", str(tmp_path / "cli")])
    assert res.exit_code == 0, res.output
    curve = read_limits_json(cdf_dir / "limits_wide.json")
    export_workspaces(curve, tmp_path / "explicit", likelihood=cdf_like)
    export_workspaces(curve, tmp_path / "pdg", likelihood=default_likelihood())
    for name in ("bkgonly.json", "patchset.json"):
        assert (tmp_path / "cli" / name).read_bytes() == (tmp_path / "explicit" / name).read_bytes(), name
    # the PDG 2024 likelihood would have encoded another measurement: the test can tell the two apart
    assert (tmp_path / "cli" / "bkgonly.json").read_bytes() != (tmp_path / "pdg" / "bkgonly.json").read_bytes()


def test_older_files_fall_back_to_the_cli_inputs(cdf_dir, cdf_like):
    meta = dict(read_limits_json(cdf_dir / "limits_wide.json").metadata)
    del meta["mw_choice"]
    meta["inputs"] = {"mw_choice": "CDF2022"}
    assert likelihood_from_metadata(meta).catalogue.catalogue_hash() == cdf_like.catalogue.catalogue_hash()
    del meta["inputs"]  # nothing recorded: the default PDG 2024 is rebuilt, and the hash check refuses it
    with pytest.raises(ValueError, match="pass the likelihood it was made with"):
        likelihood_from_metadata(meta)


def test_export_rebuilds_the_scanned_prediction_treatment(tmp_path):
    """ISR, energy-range averaging and the two-state line shape are not in the catalogue hash: the metadata records
    them and ``export --from`` rebuilds them (before, it used today's defaults: a curve scanned with isr=False or
    the single-eigenstate pole observables was exported against another likelihood)."""
    born = PrecisionLikelihood(datasets=SMALL, isr=False, energy_ranges=False, lineshape_window=0.0)
    out = tmp_path / "born_scan"
    out.mkdir()
    write_limits_json(scan(MASSES, "wide", ("cls",), likelihood=born), out / "limits_wide.json")
    meta = read_limits_json(out / "limits_wide.json").metadata
    assert {k: meta["assumptions"][k] for k in ("isr", "energy_ranges", "lineshape_window_gev")} == {
        "isr": False, "energy_ranges": False, "lineshape_window_gev": 0.0}
    rebuilt = likelihood_from_metadata(meta)
    assert (rebuilt.isr, rebuilt.energy_ranges, rebuilt.lineshape_window) == (False, False, 0.0)
    res = CliRunner().invoke(cli, ["export", "--from", str(out), "--out", str(tmp_path / "cli")])
    assert res.exit_code == 0, res.output
    curve = read_limits_json(out / "limits_wide.json")
    export_workspaces(curve, tmp_path / "explicit", likelihood=born)
    export_workspaces(curve, tmp_path / "today", likelihood=PrecisionLikelihood(datasets=SMALL))
    assert (tmp_path / "cli" / "patchset.json").read_bytes() == (tmp_path / "explicit" / "patchset.json").read_bytes()
    # the line shape changes the Z-pole predictions: today's defaults would have exported other patches
    assert (tmp_path / "cli" / "patchset.json").read_bytes() != (tmp_path / "today" / "patchset.json").read_bytes()


def test_a_curve_without_its_prediction_treatment_is_refused(cdf_dir):
    meta = json.loads(json.dumps(read_limits_json(cdf_dir / "limits_wide.json").metadata))
    del meta["assumptions"]["isr"]
    with pytest.raises(ValueError, match=r"isr missing under 'assumptions'.*pass likelihood="):
        likelihood_from_metadata(meta)


def test_export_refuses_a_curve_from_another_catalogue(cdf_dir, tmp_path):
    doc = json.loads((cdf_dir / "limits_wide.json").read_text())
    doc["metadata"]["catalogue_hash"] = "0" * 64
    doc["content_sha256"] = content_sha256(doc)  # a consistent file of another catalogue (not a tampered one)
    src = tmp_path / "from"
    src.mkdir()
    (src / "limits_wide.json").write_text(json.dumps(doc))
    res = CliRunner().invoke(cli, ["export", "--from", str(src), "--out", str(tmp_path / "ws")])
    assert res.exit_code == 2
    assert "kinmix: error:" in res.output and "000000000000" in res.output and "pass the likelihood" in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "ws").exists()


def test_export_of_another_encoding_replaces_the_whole_set(small_dir, small_like, tmp_path):
    """Issue #13: a per-measurement export over a whitened one left the stale whitening.json beside it.

    The export owns every workspace file: one of another encoding replaces the set, through the CLI (an output
    set with its MANIFEST, even over files no manifest lists) and through the API (one atomic group). On a
    four-dataset scan with the CDF W mass and a beam spread (the CLI still rebuilds a non-default likelihood):
    the same code paths as the full likelihood, whose per-measurement export spends ~9 s in pyhf's validation
    of ~280 channels without changing which files are written."""
    from kinmix_stats.io import outputset

    ws = tmp_path / "ws"
    export_workspaces(read_limits_json(small_dir / "limits_wide.json"), ws, likelihood=small_like)  # whitened, API: no manifest
    assert (ws / "whitening.json").exists()
    res = CliRunner().invoke(cli, ["export", "--from", str(small_dir), "--out", str(ws), "--encoding", "per_measurement"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in ws.iterdir()) == ["MANIFEST.json", "bkgonly.json", "patchset.json"]
    assert sorted(outputset.verify(ws)["files"]) == ["bkgonly.json", "patchset.json"]
    encoding = json.loads((ws / "patchset.json").read_text())["metadata"]["encoding"]
    assert encoding["name"] == "per_measurement_correlation_nuisances" and encoding["rotation"] is None
    # and back: the rotation returns with the sha256 the new patchset records
    res = CliRunner().invoke(cli, ["export", "--from", str(small_dir), "--out", str(ws)])
    assert res.exit_code == 0, res.output
    assert sorted(outputset.verify(ws)["files"]) == ["bkgonly.json", "patchset.json", "whitening.json"]
    rotation = json.loads((ws / "patchset.json").read_text())["metadata"]["encoding"]["rotation"]
    assert rotation["sha256"] == hashlib.sha256((ws / "whitening.json").read_bytes()).hexdigest()
    # the API alone: per-measurement over whitened leaves exactly the two files of the new set
    api = tmp_path / "api"
    curve = read_limits_json(small_dir / "limits_wide.json")
    export_workspaces(curve, api, likelihood=small_like)  # the scan's likelihood: no rebuild from the metadata
    assert (api / "whitening.json").exists()
    export_workspaces(curve, api, likelihood=small_like, encoding="per_measurement")
    assert sorted(p.name for p in api.iterdir()) == ["bkgonly.json", "patchset.json"]
