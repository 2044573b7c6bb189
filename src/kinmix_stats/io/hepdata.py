"""HEPData submission of limit curves (``hepdata_lib``), validated by ``hepdata-validator``.

Layout written by :func:`write_hepdata` for ``out_dir = results/hepdata``:

* ``results/hepdata/`` — a submission directory that passes ``hepdata-validate -d results/hepdata``:
  ``submission.yaml``, one table YAML per width and, if workspace files are given, the pyhf likelihoods
  packed in ``pyhf_likelihoods.tar.gz``, attached to the submission as an additional resource of type
  ``HistFactory`` (what ATLAS does: "Archive of full likelihoods in the HistFactory JSON format").
* ``results/hepdata.tar.gz`` — the same files as an upload archive that passes ``hepdata-validate -a``.
  (It sits beside the directory: inside it, an unreferenced archive makes ``-d`` fail.)

One table per width. Independent variable M(Z') in GeV; dependent variables: the observed CLs limit,
the median expected CLs limit with the ±1σ and ±2σ bands as asymmetric errors (``minus`` = edge −
median, ``plus`` = edge − median; an edge is recovered as median + error, to floating-point rounding),
the Δχ² cross-check (Δχ² = 3.84 at 95% CL) and the per-point ``status`` text ("ok" or why a limit is missing or not
reliable). Values are unrounded (20 significant digits). Qualifiers and keywords per table: the
reactions and observables of the precision inputs the curve was fitted to (from its
``metadata["datasets"]`` and ``mw_choice``; all catalogue datasets if none are recorded), CL, method,
width, model and the coupling convention.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._optional import optional_dependency
from ..results import LimitCurve
from ._common import GZ_DEFINITION, METHOD, SYMBOL, chdir, check_curves, definition, deterministic_tarball
from .atomic import atomic_write_bytes, check_output_dir

__all__ = [
    "DATASET_REACTIONS",
    "DEFAULT_REACTION",
    "DATASET_OBSERVABLES",
    "LIKELIHOOD_ARCHIVE",
    "reactions_for",
    "observables_for",
    "write_hepdata",
    "archive_path",
]

#: HEPData reaction strings of each catalogue dataset (initial --> final state of the measured process).
DATASET_REACTIONS: dict[str, tuple[str, ...]] = {
    "lep_zpole_lineshape": ("E+ E- --> HADRONS", "E+ E- --> E+ E-", "E+ E- --> MU+ MU-", "E+ E- --> TAU+ TAU-"),
    "pdg2024_mz": ("E+ E- --> Z0",),
    "lep_sld_heavyflavour": ("E+ E- --> B BBAR", "E+ E- --> C CBAR"),
    "lep_tau_polarisation": ("E+ E- --> TAU+ TAU-",),
    "sld_lepton_asymmetries": ("E+ E- --> HADRONS", "E+ E- --> E+ E-", "E+ E- --> MU+ MU-", "E+ E- --> TAU+ TAU-"),
    "lep2_ffbar": ("E+ E- --> MU+ MU-", "E+ E- --> TAU+ TAU-"),
    "lep2_bhabha": ("E+ E- --> E+ E-",),
    "r_ratio_petra_pep_tristan": ("E+ E- --> HADRONS",),
    "qweak_proton": ("E- P --> E- P",),  # parity-violating elastic scattering of polarised electrons (arXiv:1905.08283)
    # apv_cesium (atomic parity violation in 133Cs) is no scattering reaction: listed in the table description only
}
#: W-mass determinations by ``mw_choice`` (see data/w_mass.yaml for the sources of each variant):
#: PDG2024 = LHC-Tevatron combination (arXiv:2308.09417), CDF2022 and Tevatron2013 at the Tevatron,
#: ATLAS2017 at the LHC; a world average may also contain the LEP-2 W+W- determinations.
_W_REACTIONS: dict[str, tuple[str, ...]] = {
    "PDG2024": ("P PBAR --> W X", "P P --> W X"),
    "CDF2022": ("P PBAR --> W X",),
    "Tevatron2013": ("P PBAR --> W X",),
    "ATLAS2017": ("P P --> W X",),
}
_W_ANY = ("E+ E- --> W+ W-", "P PBAR --> W X", "P P --> W X")
#: HEPData observable names of the measured quantities of each dataset.
DATASET_OBSERVABLES: dict[str, tuple[str, ...]] = {
    "lep_zpole_lineshape": ("SIG", "GAMMA", "R", "AFB"),
    "pdg2024_mz": ("M",),
    "lep_sld_heavyflavour": ("R", "AFB", "ASYM"),
    "lep_tau_polarisation": ("POL",),
    "sld_lepton_asymmetries": ("ASYM",),
    "lep2_ffbar": ("SIG", "AFB"),
    "lep2_bhabha": ("DSIG/DCOSTHETA",),
    "r_ratio_petra_pep_tristan": ("R",),
    "w_mass": ("M",),
    "qweak_proton": ("Q_W",),
    "apv_cesium": ("Q_W",),
}
#: Reaction used when neither the caller nor the curve's datasets give one.
DEFAULT_REACTION = "E+ E- --> F FBAR (electroweak precision fit)"
#: Name of the archive of pyhf workspaces attached to the submission.
LIKELIHOOD_ARCHIVE = "pyhf_likelihoods.tar.gz"


def _cl(curve) -> str:
    """The confidence level as HEPData writes it ("95%")."""
    return f"{100 * curve.confidence_level:g}%"


def _datasets(curve: LimitCurve) -> list[str]:
    recorded = curve.metadata.get("datasets")
    if isinstance(recorded, list) and recorded:
        return [str(d) for d in recorded]
    from ..measurements.catalogue import load_catalogue

    return [ds.name for ds in load_catalogue()]


def _mw_choice(curve: LimitCurve) -> str:
    meta = curve.metadata
    choice = meta.get("mw_choice")
    inputs = meta.get("inputs")
    if not choice and isinstance(inputs, dict):
        choice = inputs.get("mw_choice")
    return str(choice or "PDG2024")


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def reactions_for(curve: LimitCurve) -> list[str]:
    """HEPData reactions of the inputs of ``curve`` (datasets without a known reaction are skipped)."""
    out: list[str] = []
    for ds in _datasets(curve):
        if ds == "w_mass":
            out += _W_REACTIONS.get(_mw_choice(curve), _W_ANY)
        else:
            out += DATASET_REACTIONS.get(ds, ())
    return _unique(out)


def observables_for(curve: LimitCurve) -> list[str]:
    """The limit's symbol (EPSILON or G_Z) followed by the HEPData observables of the inputs."""
    return _unique([SYMBOL[curve.coupling], *(o for ds in _datasets(curve) for o in DATASET_OBSERVABLES.get(ds, ()))])


def _value(v: float) -> float | str:
    return "-" if math.isnan(v) else float(v)


def _table(curve: LimitCurve, reaction: str | None) -> Any:
    with optional_dependency("hepdata"):
        from hepdata_lib import Table, Uncertainty, Variable

    gz = curve.coupling == "g_z"
    symbol = SYMBOL[curve.coupling]
    reactions = [reaction] if reaction else (reactions_for(curve) or [DEFAULT_REACTION])
    datasets = _datasets(curve)
    unknown = [d for d in datasets if d not in DATASET_REACTIONS and d != "w_mass"]
    table = Table(f"G_Z upper limits {curve.width} width" if gz else f"Epsilon upper limits {curve.width} width")
    if gz:
        what = (f"{_cl(curve)} CL upper limits on the U(1)' gauge coupling g_z of the {curve.model} Z' ({curve.width} width) "
                f"versus its physical mass. g_z: {GZ_DEFINITION}. Epsilon convention of the kinetic-mixing input: "
                f"{definition(curve.convention)}.")
    else:
        what = (f"{_cl(curve)} CL upper limits on the kinetic mixing of a {curve.model} Z' ({curve.width} width) versus its "
                f"physical mass. Epsilon convention: {definition(curve.convention)}.")
    n_bad = sum(s != "ok" for s in curve.status)
    table.description = (
        what + " Inputs (kinmix_stats datasets): " + ", ".join(datasets)
        + (f" (no HEPData reaction recorded for {', '.join(unknown)})" if unknown else "")
        + ". The expected limit carries the +-1 and +-2 sigma bands as asymmetric errors. Missing values ('-') mark "
        "points where a method was not run or gave no limit; the status column says why"
        + (f" ({n_bad} points are not 'ok')." if n_bad else " (every point is 'ok').")
    )
    table.location = "kinmix_stats output"
    table.keywords["observables"] = observables_for(curve)
    table.keywords["reactions"] = reactions
    table.keywords["phrases"] = (["Z'", "Gauge coupling", f"{curve.model} model", "Electroweak precision"] if gz
                                 else ["Dark photon", "Kinetic mixing", "Z'", "Electroweak precision"])

    mass = Variable("M(Z')", is_independent=True, is_binned=False, units="GeV")
    mass.digits = 20  # hepdata_lib rounds to `digits` significant figures; 20 keeps every float exact
    mass.values = curve.mass_gev.tolist()
    table.add_variable(mass)

    def dependent(name: str, label: str, method: str, column: str) -> Any:
        var = Variable(f"{symbol} ({label})", is_independent=False, is_binned=False)
        var.digits = 20
        var.values = [_value(v) for v in curve.column(name).tolist()]
        var.add_qualifier("CL", _cl(curve))
        var.add_qualifier("LIMIT", label)
        var.add_qualifier("METHOD", method)
        var.add_qualifier("RE", " ; ".join(reactions))
        var.add_qualifier("WIDTH", curve.width)
        var.add_qualifier("MODEL", curve.model)
        var.add_qualifier("EPSILON CONVENTION", definition(curve.convention))
        if gz:
            var.add_qualifier("COUPLING", "g_z (U(1)' gauge coupling, PDG Z' review)")
        var.add_qualifier("COLUMN", column)
        return var

    cols = dict(zip(curve.output_columns, ("mass_gev", *METHOD), strict=False))
    out_name = {v: k for k, v in cols.items()}
    table.add_variable(dependent("eps95_obs", "observed", METHOD["eps95_obs"][1], out_name["eps95_obs"]))
    exp = dependent("eps95_exp", "expected", METHOD["eps95_exp"][1], out_name["eps95_exp"])
    median = curve.eps95_exp
    edges = np.vstack([median, curve.eps95_exp_m1, curve.eps95_exp_p1, curve.eps95_exp_m2, curve.eps95_exp_p2])
    has_band = np.all(np.isfinite(edges), axis=0)  # a point gets both bands or none (hepdata_lib: '' = no error)
    for lo, hi, label in ((curve.eps95_exp_m1, curve.eps95_exp_p1, "expected +-1 sigma"),
                          (curve.eps95_exp_m2, curve.eps95_exp_p2, "expected +-2 sigma")):
        unc = Uncertainty(label, is_symmetric=False)
        unc.values = [(float(a - m), float(b - m)) if ok else ("", "")
                      for m, a, b, ok in zip(median.tolist(), lo.tolist(), hi.tolist(), has_band.tolist(), strict=True)]
        exp.add_uncertainty(unc)
    exp.zero_uncertainties_warning = False  # points without a band simply have no errors
    table.add_variable(exp)
    table.add_variable(dependent("eps95_chi2", "observed, Delta chi2 = 3.84 cross-check", METHOD["eps95_chi2"][1],
                                 out_name["eps95_chi2"]))
    status = Variable("status", is_independent=False, is_binned=False)
    status.values = list(curve.status)
    status.add_qualifier("MEANING", "'ok', or why a limit at this mass is missing or not reliable")
    table.add_variable(status)
    return table


def _describe(path: Path) -> str:
    name = path.name
    if name.startswith("bkgonly"):
        return f"{name}: pyhf background-only workspace (HistFactory JSON) of the precision likelihood"
    if name.startswith("patchset"):
        return f"{name}: pyhf patchset, one signal patch per (mass, width) hypothesis (HistFactory JSON)"
    if name.startswith("whitening"):
        return f"{name}: the rotation of the whitened encoding (maps the workspace's channels back to the measurements)"
    return name


def _pack_likelihoods(files: Sequence[Path], target: Path) -> str:
    """Pack ``files`` into the deterministic archive ``target``; returns the resource description."""
    staging = Path(tempfile.mkdtemp(prefix=".likelihoods-", dir=target.parent))
    try:
        for f in files:
            shutil.copyfile(f, staging / f.name)
        target.write_bytes(deterministic_tarball(staging))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ("Archive of the full likelihoods in the HistFactory JSON format (pyhf; ATL-PHYS-PUB-2019-029): "
            + "; ".join(_describe(f) for f in files)
            + ". Usage: pyhf patchset extract patchset.json --name <patch> > patch.json; "
            "pyhf cls bkgonly.json -p patch.json")


def archive_path(out_dir: str | os.PathLike[str]) -> Path:
    """The upload archive written next to the submission directory: ``<out_dir>.tar.gz``."""
    out = Path(out_dir)
    return out.with_name(out.name + ".tar.gz")


def write_hepdata(
    curves: LimitCurve | Iterable[LimitCurve],
    out_dir: str | os.PathLike[str],
    *,
    reaction: str | None = None,
    comment: str = "",
    likelihoods: Sequence[str | os.PathLike[str]] = (),
    validate: bool = True,
    overwrite: bool = True,
) -> Path:
    """Write a HEPData submission directory ``out_dir`` and its upload archive ``<out_dir>.tar.gz``.

    ``likelihoods``: files (e.g. the ``bkgonly.json`` and ``patchset.json`` written by
    :func:`kinmix_stats.io.workspaces.export_workspaces`) packed into :data:`LIKELIHOOD_ARCHIVE` and attached as
    an additional resource of type ``HistFactory``. ``reaction`` overrides the per-table reactions
    (default: from each curve's datasets, :func:`reactions_for`). ``validate`` runs hepdata_lib's
    validation of every YAML file. The directory is built in a staging directory next to ``out_dir``
    and renamed over it (readers see the old or the new submission, never a mix); the archive is then
    written atomically. Returns ``out_dir``.
    """
    with optional_dependency("hepdata"):
        from hepdata_lib import Submission

    items = check_curves(curves, "write_hepdata")
    out = Path(out_dir)
    check_output_dir(out, is_dir=True)  # the parent must exist and be writable; out is not a file
    if out.exists() and not overwrite:
        raise FileExistsError(f"write_hepdata: {str(out)!r} exists and overwrite=False")
    files = [Path(p) for p in likelihoods]
    for f in files:
        if not f.is_file():
            raise FileNotFoundError(f"write_hepdata: likelihood file {str(f)!r} does not exist")
    if len({f.name for f in files}) != len(files):
        raise ValueError(f"write_hepdata: likelihood files must have distinct names, got {[str(f) for f in files]}")
    if reaction is None:
        meta_reaction = items[0].metadata.get("reaction")
        reaction = meta_reaction if isinstance(meta_reaction, str) and meta_reaction else None

    submission = Submission()
    if not comment:
        cls = "/".join(dict.fromkeys(_cl(c) for c in items))
        comment = (f"{cls} CL limits on the gauge coupling g_z of Z' models produced by kinmix_stats."
                   if all(c.coupling == "g_z" for c in items) else f"{cls} CL limits on dark-photon kinetic mixing produced by kinmix_stats.")
    submission.comment = comment
    for curve in items:
        submission.add_table(_table(curve, reaction))

    parent = out.parent if str(out.parent) else Path()
    workdir = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=parent)).resolve()
    staging = workdir / "submission"
    backup: Path | None = None
    try:
        if files:
            archive = workdir / LIKELIHOOD_ARCHIVE
            description = _pack_likelihoods(files, archive)
            submission.add_additional_resource(description, str(archive), copy_file=True, file_type="HistFactory")
        with chdir(workdir):  # hepdata_lib writes submission.tar.gz into the cwd
            submission.create_files(str(staging), validate=validate, remove_old=True)
        tarball = deterministic_tarball(staging)
        if out.exists():
            backup = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=parent))
            backup.rmdir()
            out.replace(backup)
        staging.replace(out)
        atomic_write_bytes(archive_path(out), tarball)
    except BaseException:
        if backup is not None and backup.exists():
            if out.exists():
                shutil.rmtree(out, ignore_errors=True)
            backup.replace(out)
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    shutil.rmtree(workdir, ignore_errors=True)
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
    return out
