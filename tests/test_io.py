"""Round trips and atomicity of the output layer (results, io.atomic, io.curves)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import yaml

from kinmix_stats.io import atomic as atomic_mod
from kinmix_stats.io.atomic import atomic_open, atomic_write_json, atomic_write_text
from kinmix_stats.io.curves import (
    CSV_HEADER,
    read_limits_csv,
    read_limits_json,
    read_root,
    write_hepdata,
    write_limits_csv,
    write_limits_json,
    write_root,
)
from kinmix_stats.results import CURVE_COLUMNS, LimitCurve

WINDOW = "no Z'-like state: |m - m_Z0| < 0.22 GeV"


def make_curve(width: str = "narrow", metadata: dict | None = None) -> LimitCurve:
    mass = np.array([1.0, 3.3, 91.19, 150.0, 999.9])
    obs = np.array([0.0123456789012345, 0.1 / 3, np.nan, 2.0e-2, 0.29])
    exp = np.array([0.011, 0.02, np.nan, 1e-5, 0.3])
    return LimitCurve(
        width=width,
        mass_gev=mass,
        eps95_obs=obs,
        eps95_exp=exp,
        eps95_exp_m2=exp * 0.5,
        eps95_exp_m1=exp * 0.7,
        eps95_exp_p1=exp * 1.4,
        eps95_exp_p2=exp * 2.0,
        eps95_chi2=np.array([0.013, np.nan, np.nan, 0.021, np.nan]),
        status=("ok", "chi2 not run", WINDOW, "ok", "chi2 not run"),
        metadata=metadata if metadata is not None else {"datasets": ["zpole", "lep2"], "versions": {"numpy": np.__version__}},
    )


# ------------------------------------------------------------------------------------- LimitCurve
def test_limitcurve_validation_names_field():
    c = make_curve()
    kw = {k: getattr(c, k) for k in CURVE_COLUMNS}
    with pytest.raises(ValueError, match="eps95_exp_p1"):
        LimitCurve(width="narrow", status=c.status, **{**kw, "eps95_exp_p1": kw["eps95_exp_p1"][:3]})
    with pytest.raises(ValueError, match="strictly increasing"):
        LimitCurve(width="narrow", status=c.status, **{**kw, "mass_gev": kw["mass_gev"][::-1]})
    with pytest.raises(ValueError, match="mass_gev"):
        LimitCurve(width="narrow", status=c.status, **{**kw, "mass_gev": np.array([-1.0, 3.3, 91.19, 150.0, 999.9])})
    with pytest.raises(ValueError, match="status"):
        LimitCurve(width="narrow", status=c.status[:2], **kw)
    with pytest.raises(ValueError, match="convention"):
        LimitCurve(width="narrow", status=c.status, convention="pdg?", **kw)


def test_limitcurve_dict_round_trip_and_select():
    c = make_curve()
    assert LimitCurve.from_dict(c.to_dict()) == c
    assert c.to_dict()["eps95_obs"][2] is None
    sub = c.select(c.ok)
    assert sub.mass_gev.tolist() == [1.0, 150.0]
    assert sub.status == ("ok", "ok")
    assert c.select([4, 0]).mass_gev.tolist() == [1.0, 999.9]
    with pytest.raises(ValueError):
        c.mass_gev[0] = 2.0  # read-only arrays


# ---------------------------------------------------------------------------------------------- CSV
def test_csv_exact_header_and_round_trip(tmp_path):
    c = make_curve()
    p = write_limits_csv(c, tmp_path / "limits.csv")
    lines = p.read_text().splitlines()
    assert lines[0] == "mass_gev,eps95_obs,eps95_exp,eps95_exp_m2,eps95_exp_m1,eps95_exp_p1,eps95_exp_p2,eps95_chi2,status"
    assert lines[0] == CSV_HEADER
    assert lines[3] == "91.19,,,,,,,," + WINDOW  # NaN -> empty cell; the status says why
    back = read_limits_csv(p, width="narrow")
    for col in CURVE_COLUMNS:
        np.testing.assert_array_equal(back.column(col), c.column(col))  # exact, NaN at the same places
    assert back.status == c.status


def test_csv_status_with_comma_is_quoted_and_old_files_still_read(tmp_path):
    c = LimitCurve.from_dict({**make_curve().to_dict(), "status": ["ok", "cls: no root, floor", WINDOW, "ok", "ok"]})
    p = write_limits_csv(c, tmp_path / "limits.csv")
    assert p.read_text().splitlines()[2].endswith(',"cls: no root, floor"')
    assert read_limits_csv(p, width="narrow").status == c.status
    old = tmp_path / "old.csv"  # written before the status column existed
    old.write_text("\n".join(line.rsplit(",", 1)[0] for line in (tmp_path / "limits.csv").read_text().splitlines()[:2]) + "\n")
    assert read_limits_csv(old, width="narrow").status == ("not recorded (read from CSV)",)


def test_csv_rejects_wrong_header(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("mass,eps\n1,2\n")
    with pytest.raises(ValueError, match="header"):
        read_limits_csv(p, width="narrow")


# --------------------------------------------------------------------------------------------- JSON
def test_json_round_trip_and_byte_identical(tmp_path):
    a = write_limits_json(make_curve(metadata={"b": 1, "a": {"y": 2, "x": 1.5}}), tmp_path / "a.json")
    b = write_limits_json(make_curve(metadata={"a": {"x": 1.5, "y": 2}, "b": 1}), tmp_path / "b.json")
    assert a.read_bytes() == b.read_bytes()
    doc = json.loads(a.read_text())
    assert doc["status"][2] == WINDOW and doc["eps95_obs"][2] is None
    assert "Hook" in doc["epsilon_definition"]
    assert read_limits_json(a) == make_curve(metadata={"b": 1, "a": {"y": 2, "x": 1.5}})


# --------------------------------------------------------------------------------------- atomicity
def test_atomic_write_failure_mid_way_leaves_destination_untouched(tmp_path):
    dest = tmp_path / "out.txt"
    dest.write_text("old content\n")

    def writer(fh):
        fh.write("partial line that must never be seen\n" * 1000)
        raise RuntimeError("serialisation failed mid-way")

    with pytest.raises(RuntimeError, match="mid-way"):
        atomic_write_text(dest, writer)
    assert dest.read_text() == "old content\n"
    assert sorted(os.listdir(tmp_path)) == ["out.txt"]  # no temporary file left behind


def test_atomic_json_unserialisable_leaves_nothing(tmp_path):
    with pytest.raises(TypeError):
        atomic_write_json(tmp_path / "x.json", {"ok": 1, "bad": object()})
    assert os.listdir(tmp_path) == []
    with pytest.raises(ValueError):
        atomic_write_json(tmp_path / "x.json", {"nan": float("nan")})  # strict JSON
    assert os.listdir(tmp_path) == []


def test_atomic_missing_directory_names_path(tmp_path):
    target = tmp_path / "does" / "not" / "exist" / "limits.csv"
    with pytest.raises(FileNotFoundError, match="does/not/exist"):
        write_limits_csv(make_curve(), target)


def test_atomic_unwritable_directory_names_path(tmp_path, monkeypatch):
    # as root chmod does not stop writes, so simulate the OS refusing the temporary file
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic_mod.tempfile, "mkstemp", refuse)
    with pytest.raises(PermissionError, match=str(tmp_path)):
        atomic_write_text(tmp_path / "x.txt", "hello")
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores directory permissions")
def test_atomic_chmod_readonly_directory(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match="ro"):
            write_limits_json(make_curve(), ro / "x.json")
        assert os.listdir(ro) == []
    finally:
        ro.chmod(0o700)


def test_atomic_keeps_normal_permissions(tmp_path):
    p = atomic_write_text(tmp_path / "x.txt", "a")
    mask = os.umask(0)
    os.umask(mask)
    assert (p.stat().st_mode & 0o777) == (0o666 & ~mask)
    with atomic_open(tmp_path / "y.bin", "wb") as fh:
        fh.write(b"\x00\x01")
    assert (tmp_path / "y.bin").read_bytes() == b"\x00\x01"


# ------------------------------------------------------------------------------------------ HEPData
def test_hepdata_yaml_parses_and_contains_numbers(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # hepdata_lib must not leave submission.tar.gz in the cwd
    narrow, wide = make_curve("narrow"), make_curve("wide")
    out = write_hepdata([narrow, wide], tmp_path / "hepdata")
    files = sorted(p.name for p in out.iterdir())
    assert "submission.yaml" in files and "submission.tar.gz" not in files  # an unreferenced file fails -d
    assert sorted(os.listdir(tmp_path)) == ["hepdata", "hepdata.tar.gz"]
    tables = [p for p in out.glob("*.yaml") if p.name != "submission.yaml"]
    assert len(tables) == 2
    doc = yaml.safe_load((out / "epsilon_upper_limits_narrow_width.yaml").read_text())
    mass = [v["value"] for v in doc["independent_variables"][0]["values"]]
    assert mass == narrow.mass_gev.tolist()
    obs = next(d for d in doc["dependent_variables"] if d["header"]["name"] == "EPSILON (observed)")
    values = [v["value"] for v in obs["values"]]
    assert values[0] == narrow.eps95_obs[0]  # unrounded
    assert values[2] == "-"
    quals = {q["name"]: q["value"] for q in obs["qualifiers"]}
    assert quals["CL"] == "95%" and quals["WIDTH"] == "narrow" and "Hook" in quals["EPSILON CONVENTION"]
    assert "RE" in quals
    list(yaml.safe_load_all((out / "submission.yaml").read_text()))  # parses
    write_hepdata([narrow], out)  # overwrite replaces the old submission
    assert len([p for p in out.glob("*.yaml") if p.name != "submission.yaml"]) == 1


# --------------------------------------------------------------------------------------------- ROOT
def test_root_round_trip(tmp_path):
    import uproot

    narrow, wide = make_curve("narrow"), make_curve("wide", metadata={"k": "v"})
    p = write_root([narrow, wide], tmp_path / "limits.root")
    assert read_root(p, "narrow") == narrow
    assert read_root(p, "wide") == wide
    with uproot.open(p) as f:
        arrays = f["narrow/limits"].arrays(library="np")
        for col in CURVE_COLUMNS:
            np.testing.assert_array_equal(arrays[col], narrow.column(col))
        x, y = f["narrow/g_eps95_obs"].values()
        ok = ~np.isnan(narrow.eps95_obs)
        np.testing.assert_array_equal(x, narrow.mass_gev[ok])
        np.testing.assert_array_equal(y, narrow.eps95_obs[ok])
    assert [q.name for q in tmp_path.iterdir()] == ["limits.root"]


def test_root_rejects_duplicate_widths(tmp_path):
    with pytest.raises(ValueError, match="narrow"):
        write_root([make_curve(), make_curve()], tmp_path / "x.root")
    assert not (tmp_path / "x.root").exists()


def test_root_and_hepdata_tarball_are_byte_identical_across_runs(tmp_path):
    """Reproducibility (issue 8): the same curve written twice, a second apart, gives identical bytes."""
    import time

    c = LimitCurve(
        width="narrow", mass_gev=np.array([1.0, 2.0]), eps95_obs=np.array([0.1, 0.2]), eps95_exp=np.array([0.1, 0.2]),
        eps95_exp_m2=np.array([0.1, 0.2]), eps95_exp_m1=np.array([0.1, 0.2]), eps95_exp_p1=np.array([0.1, 0.2]),
        eps95_exp_p2=np.array([0.1, 0.2]), eps95_chi2=np.array([np.nan, np.nan]), status=("ok", "ok"),
    )
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_root(c, tmp_path / "a" / "limits.root")
    write_hepdata(c, tmp_path / "a" / "hepdata")
    time.sleep(1.1)
    write_root(c, tmp_path / "b" / "limits.root")
    write_hepdata(c, tmp_path / "b" / "hepdata")
    assert (tmp_path / "a" / "limits.root").read_bytes() == (tmp_path / "b" / "limits.root").read_bytes()
    tar_a = (tmp_path / "a" / "hepdata.tar.gz").read_bytes()
    assert tar_a == (tmp_path / "b" / "hepdata.tar.gz").read_bytes()
    np.testing.assert_array_equal(read_root(tmp_path / "b" / "limits.root", "narrow").eps95_obs, [0.1, 0.2])


def test_histograms_file_is_reproducible_and_reads_back(tmp_path, monkeypatch):
    """The CMS recast's spectra go through the same ROOT writer as limits.root: same content, same bytes
    (fixed clock and UUID); each histogram reads back with its edges, values and title. created_utc in
    output metadata follows SOURCE_DATE_EPOCH when it is set."""
    import time

    import uproot

    from kinmix_stats._env import created_utc
    from kinmix_stats.io.root import write_histograms

    edges = np.linspace(40.0, 60.0, 5)
    spectra = {"m50p000/background_sm": (edges, np.array([1.0, 2.0, 3.0, 4.0]), "SM Drell-Yan [pb/bin]")}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_histograms(tmp_path / "a" / "s.root", spectra, axis=("m_mumu", "m_mumu [GeV]"))
    time.sleep(1.1)
    write_histograms(tmp_path / "b" / "s.root", spectra, axis=("m_mumu", "m_mumu [GeV]"))
    assert (tmp_path / "a" / "s.root").read_bytes() == (tmp_path / "b" / "s.root").read_bytes()
    h = uproot.open(tmp_path / "a" / "s.root")["m50p000/background_sm"]
    np.testing.assert_array_equal(h.values(), [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(h.axis().edges(), edges)
    assert h.member("fTitle") == "SM Drell-Yan [pb/bin]"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert created_utc() == "2023-11-14T22:13:20+00:00"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert created_utc() != "2023-11-14T22:13:20+00:00"
