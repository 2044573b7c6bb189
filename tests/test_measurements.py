"""Tests of the measurement catalogue (package data + schema + loader).

Spot-checked numbers are typed in literally from the cited tables (via the shared transcriptions):
Gamma_Z (arXiv:1912.02067 Tab. B.13), R_b (hep-ex/0509008 Tab. 5.10), LEP2 mu-pairs and a Bhabha bin
(arXiv:1302.3415 Tab. 3.4 / 3.11), one R-ratio row (JADE, Phys. Rept. 148 (1987) 67 via the PDG R file).
"""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from kinmix_stats.measurements import (
    OBSERVABLES,
    CatalogueError,
    available_datasets,
    load_catalogue,
    load_dataset,
    stack_datasets,
)
from kinmix_stats.measurements.schema import CATALOGUE_UNITS

EXPECTED_COUNTS = {
    "pdg2024_mz": 1,
    "w_mass": 1,  # one variant selected
    "lep_zpole_lineshape": 8,
    "lep_sld_heavyflavour": 6,
    "sld_lepton_asymmetries": 3,
    "lep_tau_polarisation": 2,
    "lep2_ffbar": 38,
    "lep2_bhabha": 105,
    "r_ratio_petra_pep_tristan": 114,
    "apv_cesium": 1,
    "qweak_proton": 1,
}
ARXIV = re.compile(r"^([0-9]{4}\.[0-9]{4,5}|[a-z-]+/[0-9]{7})$")


@pytest.fixture(scope="module")
def catalogue() -> dict[str, Any]:
    return {ds.name: ds for ds in load_catalogue()}


# ------------------------------------------------------------------------------ package content
def test_every_file_loads_and_counts(catalogue: dict[str, Any]) -> None:
    assert sorted(available_datasets()) == sorted(EXPECTED_COUNTS)
    assert {name: len(ds) for name, ds in catalogue.items()} == EXPECTED_COUNTS


def test_every_entry_has_arxiv_source(catalogue: dict[str, Any]) -> None:
    for ds in catalogue.values():
        assert ARXIV.match(ds.source["arxiv"]), ds.name
        assert ds.source["table"] and ds.source["reference"]
        for m in ds.measurements:
            assert ARXIV.match(m.source["arxiv"] or ""), (ds.name, m.id)
            assert m.source["table"], (ds.name, m.id)
            assert m.sm_source, (ds.name, m.id)
    # non-default m_W variants without an arXiv preprint must say why
    no_arxiv = set()
    for choice in ("PDG2024", "CDF2022", "PDG2026", "Tevatron2013", "ATLAS2017"):
        (m,) = load_dataset("w_mass", variant=choice).measurements
        if m.source["arxiv"] is None:
            assert m.source["no_arxiv"] and m.source["reference"]
            no_arxiv.add(m.id)
    assert no_arxiv == {"mW_CDF2022", "mW_PDG2026"}


def test_observables_and_kinematics_follow_registry(catalogue: dict[str, Any]) -> None:
    for ds in catalogue.values():
        for m in ds.measurements:
            spec = OBSERVABLES[m.observable]
            assert set(m.kinematics) == set(spec.kinematics)
            assert m.unit in CATALOGUE_UNITS[m.observable]


def test_correlation_matrices_valid(catalogue: dict[str, Any]) -> None:
    for ds in catalogue.values():
        c = ds.correlation
        assert c.shape == (len(ds), len(ds))
        assert np.allclose(c, c.T, atol=0)
        assert np.all(np.diag(c) == 1.0)
        assert np.all(np.abs(c) <= 1.0)
        assert np.linalg.eigvalsh(c).min() >= -1e-10
        cov = ds.covariance()
        assert np.allclose(cov, cov.T)
        assert np.linalg.eigvalsh(cov).min() > 0
    assert catalogue["lep2_bhabha"].correlation.shape == (105, 105)
    assert catalogue["lep_zpole_lineshape"].correlation.shape == (8, 8)
    assert catalogue["lep_sld_heavyflavour"].correlation.shape == (6, 6)
    assert catalogue["sld_lepton_asymmetries"].correlation.shape == (3, 3)


def test_correlation_entries_spot_check(catalogue: dict[str, Any]) -> None:
    ls = catalogue["lep_zpole_lineshape"]
    i, j = ls.ids.index("GammaZ"), ls.ids.index("sigma_had0")
    assert ls.correlation[i, j] == -0.3238  # 1912.02067 Tab. B.13 (flavio)
    assert ls.correlation[ls.ids.index("R_e"), ls.ids.index("AFB0_e")] == -0.3704
    hf = catalogue["lep_sld_heavyflavour"]
    assert hf.correlation[hf.ids.index("R_b"), hf.ids.index("R_c")] == -0.18  # hep-ex/0509008 Tab. 5.11
    assert hf.correlation[hf.ids.index("A_b"), hf.ids.index("A_c")] == 0.11
    sld = catalogue["sld_lepton_asymmetries"]
    assert sld.correlation[0, 1] == 0.038  # hep-ex/0509008 Tab. 3.6


def test_values_spot_check(catalogue: dict[str, Any]) -> None:
    gz = catalogue["lep_zpole_lineshape"].measurement("GammaZ")
    assert (gz.value, gz.total_error, gz.unit, gz.sm) == (2.4955, 0.0023, "GeV", 2.4941)
    rb = catalogue["lep_sld_heavyflavour"].measurement("R_b")
    assert (rb.value, rb.total_error, rb.sm) == (0.21629, 0.00066, 0.21581)
    assert catalogue["lep_sld_heavyflavour"].measurement("AFB0_b").value == 0.0992  # not HighPT's 0.0996
    mz = catalogue["pdg2024_mz"].measurement("mZ_PDG2024")
    assert (mz.value, mz.stat, mz.sm) == (91.188, 0.002, None)
    mw = catalogue["w_mass"].measurements[0]
    assert (mw.value, mw.stat, mw.variant) == (80.3692, 0.0133, "PDG2024")

    mu = catalogue["lep2_ffbar"].measurement("sigma_mumu_188.6")
    assert (mu.value, mu.stat, mu.syst, mu.sm, mu.unit) == (3.15, 0.075, 0.016, 3.207, "pb")
    assert dict(mu.kinematics) == {"sqrt_s": 188.6, "final_state": "mu"}
    afb = catalogue["lep2_ffbar"].measurement("AFB_tautau_204.9")
    assert (afb.value, afb.stat, afb.syst, afb.sm) == (0.618, 0.04, 0.008, 0.553)

    bh = catalogue["lep2_bhabha"].measurements[0]
    assert dict(bh.kinematics) == {"sqrt_s": 188.6, "cos_min": -0.9, "cos_max": -0.72}
    assert (bh.value, bh.stat, bh.syst, bh.sm, bh.unit) == (0.8811, 0.1013, 0.0, 1.0, "ratio_to_SM")

    r = catalogue["r_ratio_petra_pep_tristan"].measurement("R_JADE_NAROSKA87_12.00")
    assert (r.value, r.stat, r.kinematics["sqrt_s"], r.sm) == (3.45, 0.27, 12.0, None)
    assert r.syst == pytest.approx(3.45 * 0.024, rel=1e-6)
    assert r.sm_source == "computed: tree-level SM x QCD K-factor"


def test_flagged_lep2_entries_dropped(catalogue: dict[str, Any]) -> None:
    ids = catalogue["lep2_ffbar"].ids
    assert "sigma_mumu_191.6" not in ids  # two transcriptions disagree
    assert "AFB_tautau_191.6" not in ids  # copy of the 188.6 GeV entry
    assert "AFB_mumu_191.6" in ids and "sigma_tautau_191.6" in ids
    obs = catalogue["lep2_ffbar"].observables
    assert obs.count("sigma_ee_ff") == 23 and obs.count("AFB_ee_ff") == 15


def test_r_ratio_normalisation_is_correlated_within_publication(catalogue: dict[str, Any]) -> None:
    ds = catalogue["r_ratio_petra_pep_tristan"]
    cov = ds.covariance()
    i, j = ds.ids.index("R_MARKJ_ADEVA86_12.00"), ds.ids.index("R_MARKJ_ADEVA86_14.03")
    assert cov[i, j] == pytest.approx(0.04**2 * 3.47 * 3.71)
    k = ds.ids.index("R_JADE_NAROSKA87_12.00")  # norm 0 %: no correlated term
    assert cov[i, k] == 0.0 and cov[k, j] == 0.0
    assert cov[k, k] == pytest.approx(0.27**2 + 0.0828**2)
    # a different normalisation reference (e.g. a prediction) rescales only the correlated part
    cov2 = ds.covariance(norm_reference=2 * ds.values)
    assert cov2[i, j] == pytest.approx(4 * cov[i, j])


def test_stacked_catalogue_and_hash() -> None:
    dss = load_catalogue()
    cat = stack_datasets(dss)
    assert len(cat) == sum(EXPECTED_COUNTS.values()) == len(set(cat.ids))
    cov = cat.covariance()
    # block diagonal: no covariance across datasets
    cross = cat.dataset_index[:, None] != cat.dataset_index[None, :]
    assert np.all(cov[cross] == 0.0)
    assert np.isnan(cat.sm[cat.index("pdg2024_mz/mZ_PDG2024")])
    assert cat.values[cat.index("lep_zpole_lineshape/GammaZ")] == 2.4955
    h = cat.catalogue_hash()
    assert re.fullmatch(r"[0-9a-f]{64}", h) and h == stack_datasets(load_catalogue()).catalogue_hash()
    assert h != stack_datasets(load_catalogue(mw_choice="CDF2022")).catalogue_hash()
    assert len(stack_datasets(load_catalogue(mw_choice=None))) == len(cat) - 1
    with pytest.raises(CatalogueError, match="w_mass.yaml.*variants.*mw_choice.*accepted"):
        load_catalogue(["w_mass"], mw_choice="nonsense")


def test_load_by_path_equals_load_by_name(tmp_path: Path) -> None:
    by_name = load_dataset("lep_zpole_lineshape")
    import importlib.resources as ir

    text = ir.files("kinmix_stats").joinpath("data/lep_zpole_lineshape.yaml").read_text()
    p = tmp_path / "lep_zpole_lineshape.yaml"
    p.write_text(text)
    by_path = load_dataset(p)
    assert by_path.content_hash == by_name.content_hash
    assert np.array_equal(by_path.covariance(), by_name.covariance())


# ------------------------------------------------------------------------------------ bad files
def _good() -> dict[str, Any]:
    def m(mid: str, value: float) -> dict[str, Any]:
        return {
            "id": mid, "observable": "R_e", "kinematics": {}, "value": value, "stat": 0.05, "syst": 0.0,
            "sm": 20.734, "sm_source": "test", "unit": "1",
            "source": {"arxiv": "1912.02067", "table": "Table B.13"},
        }

    return {
        "dataset": "case",
        "description": "test dataset",
        "source": {"reference": "test", "arxiv": "1912.02067", "table": "Table B.13"},
        "caveats": [],
        "measurements": [m("m1", 20.80), m("m2", 20.78), m("m3", 20.76)],
        "correlation": {
            "names": ["m1", "m2", "m3"],
            "matrix": [[1.0, 0.1, 0.0], [0.1, 1.0, 0.0], [0.0, 0.0, 1.0]],
        },
    }


def _write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    p = tmp_path / "case.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    return p


def _expect(p: Path, entry: str, fld: str) -> str:
    with pytest.raises(CatalogueError) as exc:
        load_dataset(p)
    msg = str(exc.value)
    assert str(p) in msg, msg
    assert f"entry {entry}" in msg or entry in msg, msg
    assert f"field '{fld}" in msg, msg
    return msg


def test_good_case_loads(tmp_path: Path) -> None:
    ds = load_dataset(_write(tmp_path, _good()))
    assert len(ds) == 3 and ds.correlation[0, 1] == 0.1


def test_bad_missing_field(tmp_path: Path) -> None:
    doc = _good()
    del doc["measurements"][1]["value"]
    msg = _expect(_write(tmp_path, doc), "'m2'", "value")
    assert "required" in msg


def test_bad_wrong_type(tmp_path: Path) -> None:
    doc = _good()
    doc["measurements"][0]["stat"] = "0.05"
    _expect(_write(tmp_path, doc), "'m1'", "stat")


def test_bad_nan(tmp_path: Path) -> None:
    doc = _good()
    doc["measurements"][2]["value"] = math.nan
    msg = _expect(_write(tmp_path, doc), "'m3'", "value")
    assert "finite" in msg


def test_bad_negative_error(tmp_path: Path) -> None:
    doc = _good()
    doc["measurements"][2]["syst"] = -0.1
    _expect(_write(tmp_path, doc), "'m3'", "syst")


def test_bad_non_symmetric_correlation(tmp_path: Path) -> None:
    doc = _good()
    doc["correlation"]["matrix"][0][1] = 0.2
    msg = _expect(_write(tmp_path, doc), "correlation", "matrix")
    assert "symmetric" in msg


def test_bad_non_psd_correlation(tmp_path: Path) -> None:
    doc = _good()
    doc["correlation"]["matrix"] = [[1.0, 0.9, 0.9], [0.9, 1.0, -0.9], [0.9, -0.9, 1.0]]
    msg = _expect(_write(tmp_path, doc), "correlation", "matrix")
    assert "positive semi-definite" in msg


def test_bad_rho_above_one_and_diagonal(tmp_path: Path) -> None:
    doc = _good()
    doc["correlation"]["matrix"][0][1] = doc["correlation"]["matrix"][1][0] = 1.2
    assert "|rho|" in _expect(_write(tmp_path, doc), "correlation", "matrix[0][1]")
    doc = _good()
    doc["correlation"]["matrix"][2][2] = 0.9
    assert "diagonal" in _expect(_write(tmp_path, doc), "correlation", "matrix[2][2]")


def test_bad_dimension_mismatch(tmp_path: Path) -> None:
    doc = _good()
    doc["correlation"]["names"] = ["m1", "m2"]
    msg = _expect(_write(tmp_path, doc), "correlation", "matrix")
    assert "dimension" in msg
    doc = _good()
    doc["correlation"]["matrix"][1] = [0.1, 1.0]
    assert "dimension" in _expect(_write(tmp_path, doc), "correlation", "matrix[1]")


def test_bad_correlation_name(tmp_path: Path) -> None:
    doc = _good()
    doc["correlation"]["names"][2] = "m9"
    _expect(_write(tmp_path, doc), "correlation", "names[2]")


def test_bad_unknown_observable(tmp_path: Path) -> None:
    doc = _good()
    doc["measurements"][1]["observable"] = "R_muon"
    msg = _expect(_write(tmp_path, doc), "'m2'", "observable")
    assert "unknown observable" in msg


def test_bad_kinematics(tmp_path: Path) -> None:
    doc = _good()
    doc["measurements"][0]["observable"] = "sigma_ee_ff"
    doc["measurements"][0]["unit"] = "pb"
    doc["measurements"][0]["kinematics"] = {"sqrt_s": 189.0}
    _expect(_write(tmp_path, doc), "'m1'", "kinematics")


def test_bad_duplicate_id(tmp_path: Path) -> None:
    doc = _good()
    doc["measurements"][2]["id"] = "m1"
    msg = _expect(_write(tmp_path, doc), "'m1' (measurements[2])", "id")
    assert "duplicate" in msg


def test_bad_source_without_arxiv(tmp_path: Path) -> None:
    doc = _good()
    doc["measurements"][1]["source"] = {"arxiv": None, "table": "T1"}
    _expect(_write(tmp_path, doc), "'m2'", "source.no_arxiv")


def test_bad_dataset_name(tmp_path: Path) -> None:
    doc = _good()
    doc["dataset"] = "other"
    _expect(_write(tmp_path, doc), "<dataset>", "dataset")


def test_bad_truncated_yaml(tmp_path: Path) -> None:
    text = yaml.safe_dump(_good(), sort_keys=False, default_flow_style=None)
    cut = text.index("[1.0, 0.1") + len("[1.0, 0.1")  # cut inside a flow sequence -> parse error
    p = tmp_path / "case.yaml"
    p.write_text(text[:cut])
    msg = _expect(p, "<file>", "<yaml>")
    assert "truncated" in msg
    # truncation that still parses ends in a schema error naming the missing part
    p.write_text(text[: text.index("correlation:")].rsplit("  sm_source", 1)[0])
    _expect(p, "'m3'", "sm_source")


def test_bad_duplicate_yaml_key(tmp_path: Path) -> None:
    p = _write(tmp_path, _good())
    p.write_text(p.read_text().replace("value: 20.78\n", "value: 20.78\n  value: 20.79\n"))
    _expect(p, "<file>", "<yaml>")


def test_bad_unknown_dataset_name() -> None:
    with pytest.raises(CatalogueError, match=r"no_such_dataset\.yaml.*entry <file>.*unknown dataset"):
        load_dataset("no_such_dataset")


def test_good_doc_not_mutated_by_loading(tmp_path: Path) -> None:
    doc = _good()
    before = copy.deepcopy(doc)
    load_dataset(_write(tmp_path, doc))
    assert doc == before
