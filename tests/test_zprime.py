"""General Z' models of the PDG review (seed 004): charges, couplings, c_u/c_d and mass limits."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import re

import numpy as np
import pytest

from kinmix_stats import zprime_limits as zl
from kinmix_stats.inputs.fermions import FERMIONS
from kinmix_stats.inputs.sm import SMParameters, alpha_s_running
from kinmix_stats.model.charges import SequentialCharges, charge_family, named_model, sequential_charges

SM_GAUGE_ANOMALIES = ("SU3^2 U1'", "SU2^2 U1'", "Y^2 U1'", "Y U1'^2")
COARSE = np.geomspace(100.0, 5000.0, 41)


# ----------------------------------------------------------------------------- anomalies (PDG text under Table 1)
def test_b_minus_l_anomaly_free_with_right_handed_neutrino():
    assert all(abs(v) < 1e-12 for v in named_model("B-L").anomalies().values())


@pytest.mark.parametrize("x", [-2.0, 0.0, 1.0, 2.5, 4.0, 7.0 / 3.0])
def test_q_plus_xu_anomaly_free_with_its_right_handed_neutrino(x):
    assert all(abs(v) < 1e-12 for v in charge_family("q+xu", x).anomalies().values())


def test_chi_needs_no_coloured_or_electroweak_vectorlike_fermions():
    """PDG: vector-like fermions with SM charges are required for 10+x5bar except x = -3 (chi)."""
    chi = named_model("chi").anomalies()
    assert all(abs(chi[k]) < 1e-12 for k in SM_GAUGE_ANOMALIES)
    # the remaining U(1)'^3 and gravitational anomalies are cancelled by an SM singlet: the SO(10)
    # 16's N^c (2 sqrt10 Q_chi = -5, Langacker) = charge +5/3 in PDG units, i.e. nu_R = -5/3
    with_n = dataclasses.replace(named_model("chi"), nu_r=-5.0 / 3.0).anomalies()
    assert all(abs(v) < 1e-12 for v in with_n.values())
    for name in ("psi", "eta"):
        other = named_model(name).anomalies()
        assert max(abs(other[k]) for k in SM_GAUGE_ANOMALIES) > 0.1


def test_u1_i_requires_new_fermions():
    """PDG: U(1)_I 'requires new quarks and leptons'."""
    assert abs(named_model("I").anomalies()["SU3^2 U1'"]) > 0.1


# ----------------------------------------------------------------------------- normalisation of g_z
def test_e6_normalisation_factors_constant_across_fields():
    expected = {"chi": -3 / (2 * math.sqrt(10)), "psi": 3 / (2 * math.sqrt(6)), "eta": -math.sqrt(3 / 5)}
    for name, k in expected.items():
        ratios = zl.LANGACKER_CHARGES[name] / zl.lh_charge_vector(named_model(name))
        np.testing.assert_allclose(ratios, k, rtol=1e-12)
        assert zl.e6_normalisation(name) == pytest.approx(k, rel=1e-12)
    # Langacker's Q_eta = (2, 2, -1, -1, 2) / (2 sqrt15) up to sign
    np.testing.assert_allclose(np.abs(zl.LANGACKER_CHARGES["eta"]), np.array([2, 2, 1, 1, 2]) / (2 * math.sqrt(15)), rtol=1e-12)


def test_nominal_couplings():
    sm = SMParameters()
    gp = sm.g_prime
    assert zl.nominal_gz("chi") == pytest.approx(math.sqrt(3 / 8) * gp, rel=1e-12)
    assert zl.nominal_gz("psi") == pytest.approx(math.sqrt(5 / 8) * gp, rel=1e-12)
    assert zl.nominal_gz("eta") == pytest.approx(gp, rel=1e-12)
    for name in ("B-L", "R", "I"):
        assert zl.nominal_gz(name) == pytest.approx(math.sqrt(5 / 3) * gp, rel=1e-12)
    assert zl.nominal_gz("SSM") == pytest.approx(sm.g / sm.cw, rel=1e-12)


def test_sequential_charges_are_sm_z_couplings():
    s2 = SMParameters().sin2_theta_w
    ssm = sequential_charges(s2)
    assert isinstance(ssm, SequentialCharges) and ssm.label == "SSM"
    for f in FERMIONS.values():
        z_l, z_r = ssm.chiral(f)
        assert z_l == pytest.approx(f.t3 - s2 * f.charge)
        assert z_r == pytest.approx(0.0 if f.is_neutrino else -s2 * f.charge)
    with pytest.raises(NotImplementedError):
        ssm.anomalies()
    with pytest.raises(ValueError):
        SequentialCharges(sin2_theta_w=1.5)


# ----------------------------------------------------------------------------- decoupling
@pytest.mark.parametrize("name", ["chi", "SSM"])
def test_decoupling(name):
    lik = zl.zprime_likelihood(name, "lep2")
    m = np.array([150.0, 600.0, 3000.0])
    d0, _ = lik.delta_th(m, 0.0)
    np.testing.assert_allclose(d0, 0.0, atol=1e-13)
    d_small, _ = lik.delta_th(m, 1e-4)
    d_ref, _ = lik.delta_th(m, 1e-3)
    assert np.all(np.isfinite(d_small))
    assert np.max(np.abs(d_small)) < 0.02 * np.max(np.abs(d_ref))
    big = np.abs(d_ref) > 1e-9
    np.testing.assert_allclose(d_small[big] / d_ref[big], 1e-2, rtol=0.05)  # interference ~ g_z^2


# ----------------------------------------------------------------------------- c_u, c_d (PDG Eq. 8)
def _hand_width(mass, gl, gr, m_f, n_c, k):
    r = (m_f / mass) ** 2
    if r >= 0.25:
        return 0.0
    gv, ga = 0.5 * (gl + gr), 0.5 * (gl - gr)
    return n_c * mass * math.sqrt(1 - 4 * r) / (12 * math.pi) * (gv**2 * (1 + 2 * r) + ga**2 * (1 - 4 * r)) * k


@pytest.mark.parametrize("mass", [500.0, 3000.0])
def test_lhc_coefficients_ssm_by_hand(mass):
    sm = SMParameters()
    gz, s2 = sm.g / sm.cw, sm.sin2_theta_w
    kq = 1.0 + alpha_s_running(mass, sm.alpha_s_mz, sm.mz0) / math.pi
    widths = {}
    for name, f in FERMIONS.items():
        gl = gz * (f.t3 - s2 * f.charge)
        gr = 0.0 if f.is_neutrino else -gz * s2 * f.charge
        widths[name] = _hand_width(mass, gl, gr, f.mass, f.n_colour, kq if f.is_quark else 1.0)
    br_e = widths["e"] / sum(widths.values())  # no Z-Z' mixing: no WW, Zh
    c_u = (gz**2) * ((0.5 - 2 / 3 * s2) ** 2 + (2 / 3 * s2) ** 2) * br_e
    c_d = (gz**2) * ((-0.5 + 1 / 3 * s2) ** 2 + (1 / 3 * s2) ** 2) * br_e
    got = zl.lhc_coefficients("SSM", mass)
    assert got["c_u"] == pytest.approx(c_u, rel=1e-9)
    assert got["c_d"] == pytest.approx(c_d, rel=1e-9)


def test_lhc_coefficients_dark_width_dilutes():
    narrow = zl.lhc_coefficients("chi", 2000.0)
    wide = zl.lhc_coefficients("chi", 2000.0, width="wide")
    assert 0 < wide["c_u"] < narrow["c_u"] and 0 < wide["c_d"] < narrow["c_d"]
    # c scales as g_z^2 at fixed branching ratio
    double = zl.lhc_coefficients("chi", 2000.0, g_z=2 * zl.nominal_gz("chi"))
    assert double["c_u"] == pytest.approx(4 * narrow["c_u"], rel=1e-9)


# ----------------------------------------------------------------------------- limits
def test_mass_limit_from_grid():
    m = np.array([100.0, 200.0, 400.0, 800.0])
    assert math.isnan(zl.mass_limit_from_grid(m, [0.5, 0.5, 0.5, 0.5], 0.05))
    assert math.isinf(zl.mass_limit_from_grid(m, [0.01, 0.01, 0.01, 0.01], 0.05))
    # log-log interpolation between 200 (CLs 0.01) and 400 (CLs 0.25): crossing at 0.05 -> half-way
    assert zl.mass_limit_from_grid(m, [0.0, 0.01, 0.25, 0.9], 0.05) == pytest.approx(200 * math.sqrt(2), rel=1e-12)
    # a re-excluded point above an allowed one moves the limit up
    assert zl.mass_limit_from_grid(m, [0.01, 0.5, 0.01, 0.9], 0.05) > 400.0
    assert zl.mass_limit_from_grid(m, [10.0, 5.0, 1.0, 0.0], 3.84, excluded_below=False) > 200.0


@pytest.mark.parametrize("name", ["chi", "SSM"])
def test_mass_limit_monotonic_in_coupling(name):
    g0 = zl.nominal_gz(name)
    limits = [zl.mass_limits(name, "lep2", g_z=f * g0, masses=COARSE)["cls"] for f in (0.5, 1.0, 2.0)]
    assert all(np.isfinite(limits))
    assert limits[0] < limits[1] < limits[2]


def test_coupling_limits_consistent_with_mass_limit():
    g0 = zl.nominal_gz("chi")
    m_lim = zl.mass_limits("chi", "lep2")["cls"]
    g_lim = zl.coupling_limits("chi", [0.7 * m_lim, 1.4 * m_lim])
    assert g_lim[0] < g0 < g_lim[1]


def test_coupling_limit_without_sensitivity_below_cap_is_nan_not_the_cap():
    """psi at 4 TeV on the electroweak data: no g_z <= G_Z_CAP is excluded; the cap is not a limit."""
    from kinmix_stats.likelihood.closed_form import cls_limits
    from kinmix_stats.likelihood.coupling import G_Z_CAP

    res = cls_limits(zl.zprime_likelihood("psi", "ew"), np.array([4000.0]), "narrow", eps_start=0.05)
    assert res.limit_observed[0] == pytest.approx(G_Z_CAP, rel=1e-3)  # cls_limits returns the cap ...
    assert "no sensitivity below" in res.status[0]  # ... with a status saying so
    g = zl.coupling_limits("psi", [250.0, 4000.0], "ew")
    assert np.isfinite(g[0]) and g[0] < G_Z_CAP
    assert np.isnan(g[1])


def test_csv_header_and_rows(tmp_path):
    # the table against ew_limits_higgs on the same grid and against its JSON: no density needed (21 masses)
    grid = COARSE[::2]
    path = zl.zprime_limits(tmp_path / "out", masses=grid)
    text = path.read_text()
    assert text.splitlines()[0] == "model,g_z,lep2_mass_limit_gev,ew_mass_limit_gev"
    rows = list(csv.DictReader(text.splitlines()))
    assert [r["model"] for r in rows] == ["B-L", "chi", "psi", "eta", "R", "I", "SSM"]
    for r in rows:
        assert float(r["g_z"]) > 0
        assert r["lep2_mass_limit_gev"] != ""
    by_name = {r["model"]: r for r in rows}
    # ew column = rho0 = 1 Higgs-mixing limit at the weakest tan beta
    for name in ("chi", "B-L", "SSM"):
        assert float(by_name[name]["ew_mass_limit_gev"]) == pytest.approx(
            zl.ew_limits_higgs(name, masses=grid)["weakest"]["cls"], abs=0.051
        )
    # psi: z_eff = 0 at tan beta = 1, so only the two-state Z line shape sees its Z' (issue #14): a limit near m_Z
    assert float(by_name["psi"]["ew_mass_limit_gev"]) == pytest.approx(zl.ew_limits_higgs("psi", masses=grid)["weakest"]["cls"], abs=0.051)

    # the JSON beside it carries the same limits with their provenance
    doc = json.loads((tmp_path / "out" / "zprime_limits.json").read_text())
    assert [m["model"] for m in doc["models"]] == [r["model"] for r in rows]
    for entry in doc["models"]:
        row = by_name[entry["model"]]
        for col in ("lep2_mass_limit_gev", "ew_mass_limit_gev"):
            assert (row[col] == "") == (entry[col] is None)
            if entry[col] is not None:
                assert entry[col] == pytest.approx(float(row[col]), abs=0.051)
        assert entry["g_z"] == pytest.approx(float(row["g_z"]), abs=5e-7)
    j = {m["model"]: m for m in doc["models"]}
    assert j["chi"]["pdg_table2"] == {"electroweak": 1141, "LEP-II": 785} and j["B-L"]["pdg_table2"] is None
    assert j["SSM"]["ew_higgs_mixing"] is False and j["SSM"]["ew_weakest_tan_beta"] is None
    assert j["psi"]["ew_weakest_tan_beta"] == pytest.approx(1.0)  # z_eff = 0 there
    assert "lep2_bhabha" in doc["lep2"]["datasets"] and "lep2_bhabha" not in doc["electroweak"]["datasets"]
    assert doc["mass_grid_gev"] == {"min": float(grid.min()), "max": float(grid.max()), "n": grid.size}
    assert len(doc["metadata"]["catalogue_hash"]) == 64


def test_zprime_limits_bad_masses_write_nothing(tmp_path):
    with pytest.raises(ValueError, match="masses"):
        zl.zprime_limits(tmp_path / "out", masses=[500.0, -1.0])
    assert not (tmp_path / "out").exists()


def test_cli_zprime_limits(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from kinmix_stats import cli

    # the CLI's wiring on 6 masses (the table's content is test_csv_header_and_rows' on COARSE)
    monkeypatch.setattr(zl, "DEFAULT_MASS_GRID", np.geomspace(100.0, 5000.0, 6))
    result = CliRunner().invoke(cli.cli, ["zprime-limits", "--out", str(tmp_path / "z")], obj={})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "z" / "zprime_limits.csv").read_text().startswith("model,g_z,lep2_mass_limit_gev,ew_mass_limit_gev\n")


# ----------------------------------------------------------------------------- Higgs-sector Z-Z' mixing (rho0 = 1)
def test_factory_signature_and_errors():
    sm = SMParameters()
    f = zl.zprime_factory("chi", None, epsilon=0.0, delta_m2=0.0, tan_beta=2.0)
    g = zl.nominal_gz("chi")
    m = f(np.array([1000.0]), g, "narrow", sm)
    assert m.delta_m2 == pytest.approx((2 * g / (sm.g / sm.cw)) * sm.mz0**2 * 2 / 3, rel=1e-12)
    # dM^2 follows the SM parameters the likelihood passes (nuisance shifts of m_Z0)
    sm2 = sm.at_fixed_gf(sm.alpha * 1.001, sm.sin2_theta_w + 0.001)
    assert f(np.array([1000.0]), g, "narrow", sm2).delta_m2 != pytest.approx(m.delta_m2, rel=1e-6)
    # coupling 0 is the SM reference, even with fixed kinetic / mass mixing
    for kw in ({"epsilon": 0.01}, {"delta_m2": 500.0}, {"tan_beta": 3.0}):
        ref = zl.zprime_factory("chi", **kw)(np.array([10.0]), 0.0, "narrow", sm)
        assert ref.epsilon == 0.0 and ref.delta_m2 == 0.0 and ref.gx == 0.0
    fixed = zl.zprime_factory("chi", epsilon=0.01, delta_m2=500.0)(np.array([1000.0]), g, "narrow", sm)
    assert fixed.epsilon == 0.01 and fixed.delta_m2 == 500.0
    with pytest.raises(ValueError, match="tan_beta.*delta_m2.*not both"):
        zl.zprime_factory("chi", delta_m2=100.0, tan_beta=1.0)
    with pytest.raises(ValueError, match="sequential"):
        zl.zprime_factory("SSM", tan_beta=1.0)
    with pytest.raises(ValueError, match=r"accepted range \(0, inf\)"):
        zl.zprime_factory("psi", tan_beta=-2.0)
    with pytest.raises(ValueError, match="epsilon"):
        zl.zprime_factory("chi", epsilon=2.0)
    zl.zprime_factory("SSM", delta_m2=100.0)  # an explicit delta_m2 is allowed for the SSM


def test_no_zprime_state_points_are_explicit():
    grid = np.array([95.0, 100.0, 120.0, 300.0, 1000.0, 3000.0])
    lik = zl.zprime_likelihood("chi", "ew")
    f = zl.zprime_factory("chi", tan_beta=1.0)
    cls, dchi2, valid = zl.cls_scan(zl.with_factory(lik, f), grid, zl.nominal_gz("chi"))
    assert valid.tolist() == [False, False, True, True, True, True]
    assert np.all(np.isnan(cls[:2])) and np.all(np.isfinite(cls[2:]))
    with pytest.raises(ValueError, match="no Z'-like state"):
        zl.cls_at_nominal(zl.with_factory(lik, f), grid, zl.nominal_gz("chi"))
    with pytest.raises(ValueError, match="NaN"):
        zl.mass_limit_from_grid(grid, cls, 0.05)
    lim = zl.mass_limits("chi", "ew", masses=grid, tan_beta=1.0)
    np.testing.assert_array_equal(lim["no_state_masses"], [95.0, 100.0])
    assert np.isfinite(lim["cls"])


def test_chi_ew_limit_with_higgs_mixing_is_stronger():
    none = zl.mass_limits("chi", "ew", masses=COARSE)["cls"]
    mixed = [zl.mass_limits("chi", "ew", masses=COARSE, tan_beta=t)["cls"] for t in (0.5, 5.0)]
    assert mixed[0] == mixed[1]  # chi: z_Phi_u = z_Phi_d, tan beta independent
    # the no-mixing limit comes from the Z' contact term (mostly Q_W(Cs)); the rho0 = 1 mixing roughly doubles it
    assert mixed[0] > 1.5 * none
    # and it grows with the coupling (dM^2 ~ g_z and the Z' exchange ~ g_z^2)
    g0 = zl.nominal_gz("chi")
    assert zl.mass_limits("chi", "ew", g_z=0.5 * g0, masses=COARSE, tan_beta=1.0)["cls"] < mixed[0]


def test_b_minus_l_unchanged_by_tan_beta_and_psi_zero_crossing():
    none = zl.mass_limits("B-L", "ew", masses=COARSE)["cls"]
    for t in (0.3, 1.0, 30.0):
        assert zl.mass_limits("B-L", "ew", masses=COARSE, tan_beta=t)["cls"] == none
    psi_none = zl.mass_limits("psi", "ew", masses=COARSE)["cls"]
    psi_1 = zl.mass_limits("psi", "ew", masses=COARSE, tan_beta=1.0)["cls"]
    assert (math.isnan(psi_none) and math.isnan(psi_1)) or psi_1 == pytest.approx(psi_none, rel=1e-9)
    assert zl.mass_limits("psi", "ew", masses=COARSE, tan_beta=5.0)["cls"] > 500.0


def test_ew_limits_higgs_weakest_and_strongest():
    psi = zl.ew_limits_higgs("psi", masses=COARSE, n_beta=5)
    s2 = [x["sin2_beta"] for x in psi["samples"]]
    assert s2[0] == 0.0 and s2[-1] == 1.0 and 0.5 in s2  # endpoints and the z_eff = 0 point
    assert psi["weakest"]["sin2_beta"] == 0.5 and psi["weakest"]["tan_beta"] == pytest.approx(1.0)
    # at z_eff = 0 (tan beta = 1) the psi Z' does not mix, but it is still seen in the two-state Z line shape through
    # its own couplings (issue #14): a limit just above m_Z (118 GeV on COARSE), far below the mixing-driven one
    assert 100.0 < psi["weakest"]["cls"] < 200.0 and psi["strongest"]["cls"] > 1000.0
    eta = zl.ew_limits_higgs("eta", masses=COARSE, n_beta=3)  # z_eff = 0 at sin^2 beta = 1/5
    assert eta["weakest"]["sin2_beta"] == pytest.approx(0.2) and eta["weakest"]["z_eff"] == pytest.approx(0.0, abs=1e-12)
    ssm = zl.ew_limits_higgs("SSM", masses=COARSE)
    assert ssm["higgs_mixing"] is False and ssm["weakest"]["cls"] == ssm["none"]["cls"]


def test_decoupling_with_higgs_mixing_in_the_likelihood():
    """g_z -> 0 with tan beta set: the Z-pole/EW residuals vanish (dM^2 -> 0 with g_z)."""
    lik = zl.with_factory(zl.zprime_likelihood("chi", "ew"), zl.zprime_factory("chi", tan_beta=2.0))
    m = np.array([300.0, 2000.0])
    d0, _ = lik.delta_th(m, 0.0)
    np.testing.assert_array_equal(d0, 0.0)
    d3, _ = lik.delta_th(m, 1e-3)
    d4, _ = lik.delta_th(m, 1e-4)
    assert 0 < np.max(np.abs(d4)) < 0.02 * np.max(np.abs(d3))  # leading effect ~ g_z^2 (theta g_z, g_z^2 exchange)


def test_cli_limit_prints_pdg_eq8_coefficients_matching_the_api():
    """`kinmix limit --model SSM` reports c_u, c_d (PDG Eq. 8) equal to lhc_coefficients at the nominal g_z."""
    import re

    from click.testing import CliRunner

    from kinmix_stats import cli

    result = CliRunner().invoke(cli.cli, ["limit", "--model", "SSM", "--mass", "2000", "--method", "cls"], obj={})
    assert result.exit_code == 0, result.output
    found = re.search(r"c_u = ([0-9.e+-]+), c_d = ([0-9.e+-]+), B\(Z' -> e\+e-\) = ([0-9.e+-]+)", result.output)
    assert found, result.output
    ref = zl.lhc_coefficients("SSM", 2000.0)
    assert float(found.group(1)) == pytest.approx(ref["c_u"], rel=1e-3)
    assert float(found.group(2)) == pytest.approx(ref["c_d"], rel=1e-3)
    assert float(found.group(3)) == pytest.approx(ref["br_ee"], rel=1e-3)


def test_family_point_parsing_is_shared_and_strict():
    """One parser for FAMILY:x (CLI, ModelSpec and zprime_factory): case-insensitive family, -0 -> 0, clear errors."""
    from kinmix_stats.model.charges import parse_family_point

    assert parse_family_point("b-xl:3") == ("B-xL", 3.0)
    family, x = parse_family_point("10+X5BAR:-0")
    assert family == "10+x5bar" and x == 0.0 and math.copysign(1.0, x) == 1.0
    for text, needle in [("B-xL", "FAMILY:x"), ("E6:1", "unknown charge family 'E6'"), ("d-xu:inf", "accepted range"),
                         ("q+xu:two", "got 'two'")]:
        with pytest.raises(ValueError, match=re.escape(needle)):
            parse_family_point(text)
