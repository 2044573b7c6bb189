"""``kinmix`` command line: a thin layer over the Python API (no physics or statistics here).

Every command validates its arguments through the API; a bad input exits with status 2 and one
line on stderr (``--debug`` shows the traceback).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import sys
from pathlib import Path

from ._env import import_guard, interrupted_at_start

with import_guard(), interrupted_at_start():  # Ctrl-C / a bad SOURCE_DATE_EPOCH while importing: no traceback
    import click
    import numpy as np

__all__ = ["main", "cli"]

log = logging.getLogger("kinmix_stats.cli")
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _configure_logging(verbose: int, level: str | None) -> None:
    """Messages of the ``kinmix_stats`` loggers go to stderr: WARNING by default, -v INFO, -vv DEBUG,
    or ``--log-level`` (standard ``logging`` levels)."""
    chosen = level.upper() if level else ("DEBUG" if verbose >= 2 else "INFO" if verbose == 1 else "WARNING")
    logger = logging.getLogger("kinmix_stats")
    for h in [h for h in logger.handlers if getattr(h, "_kinmix_cli", False)]:
        logger.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("kinmix: %(levelname)s: %(name)s: %(message)s"))
    handler._kinmix_cli = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(getattr(logging, chosen))


class _Group(click.Group):
    """Turns ValueError/OSError/KeyError/ImportError into one-line errors unless --debug is given."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """Every failure is one ``kinmix: error:`` line: usage errors of the group itself (``kinmix --bogus``)
        exit 2, Ctrl-C anywhere (also while starting up) exits 130 with ``kinmix: interrupted``."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name or "kinmix", complete_var, False, **extra)
        except click.UsageError as err:
            where = f"kinmix {err.ctx.info_name} --help" if err.ctx is not None and err.ctx.parent is not None else "kinmix --help"
            click.echo(f"kinmix: error: {err.format_message()} (see '{where}')", err=True)
            sys.exit(2)
        except click.ClickException as err:
            click.echo(f"kinmix: error: {err.format_message()}", err=True)
            sys.exit(err.exit_code)
        except (click.Abort, KeyboardInterrupt):
            click.echo("kinmix: interrupted", err=True)
            sys.exit(130)
        sys.exit(rv if isinstance(rv, int) else 0)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.UsageError as err:  # option parsing of a sub-command (e.g. --mass abc)
            if ctx.params.get("debug") or (ctx.obj or {}).get("debug"):
                raise
            click.echo(f"kinmix: error: {err.format_message()} (see 'kinmix {ctx.invoked_subcommand or ''} --help')", err=True)
            ctx.exit(2)
        except (ValueError, OSError, KeyError, ImportError) as err:  # ImportError: a missing optional extra
            if ctx.params.get("debug") or (ctx.obj or {}).get("debug"):
                raise
            click.echo(f"kinmix: error: {err}", err=True)
            ctx.exit(2)


def _parse_width(text: str):
    """'narrow' | 'wide' | '<GeV>' | 'dirac:<alpha_d>:<m_chi>' (parsed by model.dark_sector.parse_width, the one parser)."""
    from .model.dark_sector import parse_width

    return parse_width(text)


def _parse_masses(text: str | None, likelihood):
    """'LO:HI:N' (log-spaced) or 'M1,M2,...' in GeV; None: the default refined grid."""
    from ._checks import check_grid_size, check_masses
    from .scan import default_mass_grid

    if text is None:
        return default_mass_grid(likelihood=likelihood)
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise ValueError(f"--masses {text!r}: expected LO:HI:N (log-spaced) or a comma-separated list")
        try:
            lo, hi, n = float(parts[0]), float(parts[1]), int(parts[2])
        except ValueError:
            raise ValueError(f"--masses {text!r}: LO and HI must be numbers and N an integer (LO:HI:N)") from None
        if not (0 < lo < hi < float("inf")) or n < 1:
            raise ValueError(f"--masses {text!r}: need 0 < LO < HI < inf and N >= 1")
        check_grid_size(n, "masses (--masses N)")  # before the grid is allocated
        check_masses("--masses", [lo, hi])
        return np.geomspace(lo, hi, n)
    items = text.split(",")
    check_grid_size(len(items), "masses (--masses list)")
    try:
        values = np.array([float(x) for x in items])
    except ValueError:
        raise ValueError(f"--masses {text!r}: expected LO:HI:N (log-spaced) or a comma-separated list of numbers (GeV)") from None
    return check_masses("--masses", values)


def _likelihood(beam_spread_rel: float | None, mw_choice: str):
    from .likelihood.limits import default_likelihood
    from .likelihood.precision import ASSUMED_BEAM_SPREAD_REL, PrecisionLikelihood

    if (beam_spread_rel is None or beam_spread_rel == ASSUMED_BEAM_SPREAD_REL) and mw_choice == "PDG2024":
        return default_likelihood()
    return PrecisionLikelihood(
        mw_choice=mw_choice, beam_spread_rel=ASSUMED_BEAM_SPREAD_REL if beam_spread_rel is None else beam_spread_rel
    )


_MODEL_HELP = (
    "Z' model: B-L, chi, psi, eta, R, I, SSM (PDG review) or a PDG Table 1 family point FAMILY:x with FAMILY "
    "B-xL, 10+x5bar, d-xu or q+xu (e.g. B-xL:3, 10+x5bar:-1). Limits are then on the U(1)' gauge coupling g_z. "
    "Default: the dark photon (limits on eps)."
)


def _model_options(fn):
    """--model and the options of a Z' hypothesis (meaningful only with --model)."""
    options = [
        click.option("--model", "model_name", default=None, metavar="NAME|FAMILY:x", help=_MODEL_HELP),
        click.option("--charges", "charges", default=None, metavar="Q,U,D,L,E|FILE.yaml",
                     help="Instead of --model: any U(1)' by its charges of Q_L, u_R, d_R, L_L, e_R (numbers or fractions, "
                          "e.g. 1/3,1/3,1/3,-1,-1 = B-L), or a YAML file with keys q, u, d, l, e."),
        click.option("--g-z", "g_z", type=float, default=None,
                     help="With --model: the g_z whose exclusion is reported (default: the named model's nominal g_z; "
                          "family points have none, so nothing is tested without it)."),
        click.option("--epsilon", "mix_epsilon", type=float, default=None,
                     help="With --model: fixed kinetic mixing, Hook convention (default 0)."),
        click.option("--delta-m2", "delta_m2", type=float, default=None,
                     help="With --model: fixed Z-Z' mass mixing dM^2 in GeV^2 (default 0)."),
        click.option("--tan-beta", "tan_beta", type=float, default=None,
                     help="With --model: Z-Z' mass mixing from the Higgs doublets at this tan(beta) > 0 (instead of --delta-m2)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _charges_model_name(charges: str) -> str:
    """--charges Q,U,D,L,E or a YAML file with keys q, u, d, l, e -> the model name ``charges:Q,U,D,L,E``."""
    from .model.charges import CUSTOM_PREFIX, parse_custom_charges

    text = charges.strip()
    if text.endswith((".yaml", ".yml")) or Path(text).is_file():
        import yaml

        path = Path(text)
        if not path.is_file():
            raise FileNotFoundError(f"--charges: file {text!r} does not exist")
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        keys = ("q", "u", "d", "l", "e")
        if not isinstance(doc, dict) or {str(k).lower() for k in doc} != set(keys):
            raise ValueError(f"--charges {text}: expected a mapping with exactly the keys q, u, d, l, e, got {doc!r}")
        low = {str(k).lower(): v for k, v in doc.items()}
        text = ",".join(str(low[k]) for k in keys)
    return parse_custom_charges(CUSTOM_PREFIX + text)[0]


def _model_spec(model_name, g_z, mix_epsilon, delta_m2, tan_beta, charges=None):
    """(ModelSpec or None, tested g_z or None), validated; every model option without --model is refused."""
    from .model.spec import ModelSpec

    if charges is not None:
        if model_name is not None:
            raise ValueError(f"give either --model ({model_name!r}) or --charges ({charges!r}), not both")
        model_name = _charges_model_name(charges)

    if model_name is None:
        given = [name for name, v in (("--g-z", g_z), ("--epsilon", mix_epsilon), ("--delta-m2", delta_m2),
                                      ("--tan-beta", tan_beta)) if v is not None]
        if given:
            raise ValueError(f"{', '.join(given)} need(s) --model (the dark photon is scanned in eps and has no such input)")
        return None, None
    if tan_beta is not None and not tan_beta > 0:
        raise ValueError(f"--tan-beta must be > 0 (accepted range (0, inf)), got {tan_beta!r}")
    if tan_beta is not None and delta_m2 is not None:
        raise ValueError(f"give either --delta-m2 ({delta_m2!r} GeV^2) or --tan-beta ({tan_beta!r}), not both")
    spec = ModelSpec(model_name, epsilon=0.0 if mix_epsilon is None else mix_epsilon,
                     delta_m2=0.0 if delta_m2 is None else delta_m2, tan_beta=tan_beta)
    if g_z is not None and not (0 < g_z < 1.5):
        raise ValueError(f"--g-z must lie in (0, 1.5), got {g_z!r}")
    return spec, (spec.nominal_gz() if g_z is None else float(g_z))


def _overlay_options(fn):
    """--overlay NAME... and --external-dir of the commands that draw exclusion plots."""
    fn = click.option("--external-dir", "external_dir", type=click.Path(exists=True, file_okay=False), default=None,
                      help="Folder with the Darkcast .lmt files (GPL, not shipped; default $KINMIX_EXTERNAL_LIMITS, "
                           "else ../shared/data/limits).")(fn)
    fn = click.option("--overlay", "overlay_names", multiple=True, metavar="NAME[,NAME...]",
                      help="Published limits to draw (repeatable; 'none' for none). Default: Hook et al. EW fit and BaBar "
                           "(shipped), LHCb, CMS and the muon g-2 band (when their files are found). Names: see "
                           "kinmix_stats.plotting.exclusion.overlay_names().")(fn)
    return fn  # noqa: RET504 - one decorator per statement reads better


def _overlays(names: tuple[str, ...], external_dir: str | None, echo: bool = True):
    """Load the requested overlays; print what is drawn and what was skipped and why."""
    from .plotting.exclusion import DEFAULT_OVERLAYS, resolve_overlays

    wanted = [n.strip() for text in names for n in text.split(",") if n.strip()] or list(DEFAULT_OVERLAYS)
    if wanted == ["none"]:
        return []
    loaded, skipped = resolve_overlays(wanted, external_dir)
    if echo:
        click.echo("overlays drawn: " + (", ".join(o.name for o in loaded) or "none"))
        for name, reason in skipped:
            click.echo(f"overlay skipped: {name}: {reason}")
    return loaded


@click.group(cls=_Group)
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.option("-v", "--verbose", count=True, help="More log messages on stderr (-v: INFO, -vv: DEBUG).")
@click.option("--log-level", type=click.Choice(_LEVELS, case_sensitive=False), default=None,
              help="Log level of the kinmix_stats loggers (overrides -v). Default WARNING.")
@click.version_option(package_name="kinmix_stats")
@click.pass_context
def cli(ctx: click.Context, debug: bool, verbose: int = 0, log_level: str | None = None) -> None:
    """Model-independent limits on a kinetically mixed dark photon / Z' from precision data.

    eps is always Hook et al.'s: L > -(sin eps/2) F'_{mu nu} B^{mu nu} (arXiv:1006.0973); masses are physical.
    """
    from ._env import source_date_epoch

    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    _configure_logging(verbose, log_level)
    source_date_epoch()  # a bad SOURCE_DATE_EPOCH fails here, before any work
    from .scan.parallel import blas_single_thread

    ctx.with_resource(blas_single_thread())  # same bits whatever --workers: every computation of the command single-threaded


@cli.command()
@click.option("--mass", type=float, required=True, help="Physical Z' mass in GeV.")
@click.option("--epsilon", type=float, required=True, help="Kinetic mixing (Hook convention).")
@click.option("--width", default="narrow", show_default=True, help="narrow | wide | dark width in GeV | dirac:ALPHA_D:M_CHI")
def spectrum(mass: float, epsilon: float, width: str) -> None:
    """Print masses, couplings and widths of A, Z, Z' for one dark photon."""
    from ._checks import check_mass
    from .inputs import FERMIONS
    from .model import DarkPhoton

    check_mass("--mass", mass)
    dp = DarkPhoton(mass, epsilon, width=_parse_width(width))
    click.echo(f"m_Z = {dp.mz:.6f} GeV   m_Z' = {dp.mzp:.6f} GeV   m_X (Lagrangian) = {dp.mx:.6f} GeV   xi = {dp.xi:.6g}")
    click.echo(f"Gamma_Z = {dp.total_width('Z'):.6g} GeV   Gamma_Z' = {dp.total_width('Zp'):.6g} GeV   "
               f"Gamma_Z'(dark) = {dp.partial_width('Zp', 'dark'):.6g} GeV")
    click.echo(f"{'fermion':8s} {'gV(Z)':>12s} {'gA(Z)':>12s} {'gV(Zp)':>12s} {'gA(Zp)':>12s} {'BR(Zp)':>10s}")
    for f in FERMIONS:
        gvz, gaz = dp.couplings("Z", f)
        gvp, gap = dp.couplings("Zp", f)
        click.echo(f"{f:8s} {gvz:12.5g} {gaz:12.5g} {gvp:12.5g} {gap:12.5g} {dp.branching_ratio('Zp', f):10.4g}")


@cli.command()
@click.option("--mass", type=float, required=True, help="Physical Z' mass in GeV.")
@click.option("--width", default="narrow", show_default=True, help="narrow | wide | dark width in GeV | dirac:ALPHA_D:M_CHI")
@click.option("--method", default="cls,chi2", show_default=True,
              help="Comma-separated: cls (fast closed form), exact (iminuit, exact non-linear likelihood), chi2, "
                   "pyhf (pyhf upper_limit with minuit on the exported workspace; seconds per mass).")
@click.option("--beam-spread-rel", type=float, default=None, help="Assumed relative c.m. energy spread (default 1e-3).")
@click.option("--mw-choice", default="PDG2024", show_default=True, help="W-mass determination.")
@click.option("--cl", "cl", type=float, default=0.95, show_default=True,
              help="Confidence level in (0, 1): CLs = 1 - CL; for chi2 the Delta chi^2 of that CL (1 dof).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON (LimitResult.to_dict(), one per method).")
@_model_options
def limit(mass: float, width: str, method: str, beam_spread_rel, mw_choice: str, model_name, g_z, mix_epsilon,
          delta_m2, tan_beta, cl: float = 0.95, as_json: bool = False, charges: str | None = None) -> None:
    """Print the 95% CL limit on eps at one mass, its expected band and the dominant measurements.

    With --model: the limit on the model's gauge coupling g_z (CLs observed, expected, +-1/2 sigma band,
    Delta chi^2), its nominal g_z if it has one, and whether that (or --g-z) is excluded at this mass.
    """
    from ._checks import check_mass
    from .likelihood.limits import METHODS, upper_limit

    check_mass("--mass", mass)

    if not (0.0 < cl < 1.0):
        raise ValueError(f"--cl must lie in (0, 1), got {cl!r}")
    methods = [x.strip() for x in method.split(",")]
    for m in methods:
        if m not in METHODS:
            raise ValueError(f"unknown method {m!r}; accepted: {', '.join(map(repr, METHODS))}")
    spec, g_test = _model_spec(model_name, g_z, mix_epsilon, delta_m2, tan_beta, charges)
    if spec is None:
        like = _likelihood(beam_spread_rel, mw_choice)
    else:
        like = spec.likelihood(mw_choice=mw_choice, beam_spread_rel=beam_spread_rel)
    w = _parse_width(width)
    name = ("eps" if spec is None else "gz") + f"{100 * cl:g}"
    what = "" if spec is None else f"{spec.name} Z', "
    results = []
    for m in methods:
        log.info("limit: method %s at m = %g GeV, width %s, CL %g", m, mass, width, cl)
        if m == "chi2":
            from scipy.stats import chi2 as chi2_dist

            res = upper_limit(float(mass), w, m, likelihood=like, delta_chi2=float(chi2_dist.ppf(cl, 1)))  # scalar result
        else:
            res = upper_limit(float(mass), w, m, likelihood=like, cl=cl)
        results.append(res)
        if as_json:
            continue
        click.echo(f"[{m}] {what}m_Z' = {mass:g} GeV, width = {width}: {name}_obs = {res.limit_observed:.5g}"
                   + (f", {name}_exp = {res.limit_expected:.5g}" if m != "chi2" else "")
                   + f"  (status: {res.status})")
        if m in ("cls", "pyhf"):
            band = ", ".join(f"{n:+d}s: {v:.4g}" for n, v in zip((-2, -1, 0, 1, 2), res.expected_band))
            click.echo(f"      expected band: {band}; re-linearisation steps: {res.iterations}")
        if m == "pyhf":
            click.echo(f"      engine: pyhf {res.engine['version']} upper_limit, {res.engine['optimizer']} "
                       f"(iminuit {res.engine['optimizer_version']})")
        if m == "exact":
            band = ", ".join(f"{n:+d}s: {v:.4g}" for n, v in zip((-2, -1, 0, 1, 2), res.expected_band))
            d = res.diagnostics
            click.echo(f"      expected band: {band}; engine: {res.engine['engine']} {res.engine['version']} "
                       f"({d.get('minuit_fits', 0)} Minuit fits, {d.get('nfcn', 0)} likelihood evaluations)")
        dom = ", ".join(f"{meas} (E={e:.2f})" for meas, e in res.dominant)
        click.echo(f"      dominant measurements (expected significance at the limit): {dom}")
    if as_json:
        import json

        click.echo(json.dumps([{**r.to_dict(), "confidence_level": cl} for r in results], indent=2))
        return
    if spec is not None:
        _report_tested_coupling(spec, g_test, g_z is not None, like, mass, w)


def _report_tested_coupling(spec, g_test, given: bool, like, mass: float, width) -> None:
    """The model's nominal g_z, and whether it (or --g-z) is excluded at ``mass`` (exact CLs at that g_z)."""
    from .zprime_limits import cls_at_nominal

    nominal = spec.nominal_gz()
    mixing = "" if not spec.has_mixing else (
        f" (eps = {spec.epsilon:g}, " + (f"tan(beta) = {spec.tan_beta:g})" if spec.tan_beta is not None
                                         else f"dM^2 = {spec.delta_m2:g} GeV^2)"))
    click.echo(f"model {spec.name}{mixing}: nominal g_z = "
               + (f"{nominal:.5g}" if nominal is not None else "none (a family point has no nominal coupling; test one with --g-z)"))
    if g_test is None:
        return
    _, valid = like.delta_th([mass], g_test, width)
    if not valid[0]:
        click.echo(f"g_z = {g_test:.5g}: no Z'-like state of mass {mass:g} GeV with this mixing (nothing to exclude)")
        return
    cls, dchi2 = cls_at_nominal(like, [mass], g_test, width)
    verdict = "EXCLUDED" if cls[0] < 0.05 else "not excluded"
    label = "--g-z" if given else "nominal g_z"
    click.echo(f"{label} = {g_test:.5g} at m_Z' = {mass:g} GeV: {verdict} at 95% CL "
               f"(CLs = {cls[0]:.3g}; Delta chi^2 vs SM = {dchi2[0]:.3g})")
    _report_lhc_coefficients(spec, g_test, mass, width)


def _report_lhc_coefficients(spec, g_z: float, mass: float, width) -> None:
    """PDG Z' review Eq. 8: c_u, c_d of the physical Z' (with mixing and dark width) for the CMS c_u-c_d plane."""
    import numpy as np

    from .zprime_limits import lhc_coefficients_of

    c = lhc_coefficients_of(spec.factory()(np.array([mass]), g_z, width, None))
    click.echo(f"LHC (PDG Z' review Eq. 8, f = e or mu) at g_z = {g_z:.5g}: c_u = {c['c_u']:.4g}, c_d = {c['c_d']:.4g}, "
               f"B(Z' -> e+e-) = {c['br_ee']:.4g}, Gamma_Z' = {c['total_width_gev']:.4g} GeV")


def _write_outputs(curves, out: Path, plot: bool, like, inspire_id, export: bool, encoding: str = "whitened",
                   overlays=()) -> list[Path]:
    from .io.curves import write_hepdata, write_limits_csv, write_limits_json, write_root
    from .io.hepdata import archive_path
    from .plotting.exclusion import exclusion_figure, save_figure

    written = []
    for c in curves:
        written.append(write_limits_csv(c, out / f"limits_{c.width}.csv"))
        written.append(write_limits_json(c, out / f"limits_{c.width}.json"))
        if plot:  # the external overlays are dark-photon limits on eps: not drawn on a g_z figure
            fig = exclusion_figure([c], overlays if c.coupling == "epsilon" else ())
            written.extend(save_figure(fig, out / f"exclusion_{c.width}{ext}") for ext in (".png", ".pdf"))
    written.append(write_root(curves, out / "limits.root"))
    likelihoods: list[Path] = []
    if export and any(np.isfinite(c.eps95_obs).any() for c in curves):
        from .io.workspaces import export_workspaces

        likelihoods = [Path(p) for p in export_workspaces(curves, out / "workspaces", likelihood=like,
                                                          inspire_id=inspire_id, encoding=encoding)]
        whitening = out / "workspaces" / "whitening.json"
        if whitening.exists() and encoding == "whitened" and whitening not in likelihoods:
            likelihoods.append(whitening)
        written.extend(likelihoods)
    # the HEPData submission attaches whatever likelihood files the export wrote (HistFactory resource)
    written.append(write_hepdata(curves, out / "hepdata", likelihoods=likelihoods))
    written.append(archive_path(out / "hepdata"))
    return written


def _check_out_dir(text: str) -> Path:
    """The output directory may exist (a writable directory) or be creatable; nothing is created here."""
    import os

    out = Path(text)
    if not text.strip():
        raise ValueError("--out must name a directory, got an empty string")
    if out.exists():
        if not out.is_dir():
            raise NotADirectoryError(f"--out {text!r} is an existing file, not a directory")
        if not os.access(out, os.W_OK | os.X_OK):
            raise PermissionError(f"--out {text!r}: directory is not writable")
        return out
    parent = out.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise NotADirectoryError(f"--out {text!r} cannot be created: {str(parent)!r} is a file, not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"--out {text!r} cannot be created: {str(parent)!r} is not writable")
    return out


def _int_option(name: str, text: str, low: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"{name} must be an integer >= {low}, got {text!r}") from None
    if value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value}")
    return value


def _float_option(name: str, text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"{name} must be a number, got {text!r}") from None
    if not (0 < value < float("inf")):
        raise ValueError(f"{name} must be > 0 and finite, got {text!r}")
    return value


@cli.command()
@click.option("--width", default=None, help="Comma-separated widths. Default: narrow,wide; with --model: narrow.")
@click.option("--masses", default=None,
              help="LO:HI:N (log-spaced) or a list. Default: 200 log-spaced masses 1-1000 GeV refined at the measured "
                   "energies and around m_Z0 (524 masses); with --model 150 log-spaced masses 10 GeV-5 TeV refined the "
                   "same way (474 masses; LEP-II constrains a heavy Z' through contact interactions up to a few TeV).")
@click.option("--method", default="cls,chi2", show_default=True,
              help="Comma-separated: cls (fast closed form), exact (iminuit, exact non-linear likelihood), chi2, "
                   "pyhf (pyhf upper_limit with minuit on the exported workspace; seconds per mass).")
@click.option("--out", "out_dir", required=True, help="Output directory (created if needed).")
@click.option("--plot/--no-plot", default=True, show_default=True, help="Write exclusion_<width>.png.")
@click.option("--export/--no-export", default=True, show_default=True, help="Write workspaces/bkgonly.json + patchset.json.")
@click.option("--encoding", default="whitened", show_default=True, type=click.Choice(["whitened", "per_measurement"]),
              help="pyhf layout of the export: whitened (3 pyhf parameters, fits in < 1 s) or per_measurement "
                   "(one channel per measurement, one nuisance per correlated measurement; minutes per fit).")
@click.option("--beam-spread-rel", type=float, default=None, help="Assumed relative c.m. energy spread (default 1e-3).")
@click.option("--mw-choice", default="PDG2024", show_default=True, help="W-mass determination.")
@click.option("--inspire-id", default=None, help="INSPIRE id (insNNNNNNN) for the patchset references.")
@click.option("--workers", "workers_text", default="1", show_default=True,
              help="1: run in this process; N > 1: a local Dask cluster of N worker processes.")
@click.option("--scheduler", default=None, help="Address of an existing Dask scheduler (tcp://host:port) or 'synchronous'.")
@click.option("--connect-timeout", "timeout_text", default="10", show_default=True, help="Seconds to wait for --scheduler.")
@click.option("--chunk", "chunk_text", default="100", show_default=True, help="Masses per task (and per checkpoint write).")
@click.option("--resume", is_flag=True, help="Skip the masses already in OUT/checkpoint_<width>.jsonl (same scan only).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@_model_options
@_overlay_options
@click.option("--config", type=click.Path(exists=True, dir_okay=False), is_eager=True, expose_value=False,
              callback=lambda ctx, _param, value: _load_config(ctx, value),
              help="YAML file with any of this command's options (same names, e.g. width: narrow, masses: 1:1000:50, "
                   "out: results); options on the command line override it.")
@click.pass_context
def scan(ctx, width, masses, method, out_dir, plot, export, encoding, beam_spread_rel, mw_choice, inspire_id, workers_text,
         scheduler, timeout_text, chunk_text, resume, quiet, model_name, g_z, mix_epsilon, delta_m2, tan_beta,
         overlay_names=(), external_dir=None, charges=None) -> None:
    """Exclusion scan: CSV/JSON per width, plots, HEPData YAML, ROOT file and pyhf workspaces.

    Finished masses are appended to OUT/checkpoint_<width>.jsonl as they complete; after an
    interruption (Ctrl-C, SIGTERM) rerun the same command with --resume to continue. The final files
    are written (atomically) only when every mass is done.

    With --model the same files hold limits on the model's gauge coupling g_z (columns gz95_obs, ...,
    POI mu = (g_z/g_ref)^2 in the workspaces); the checkpoint records the model, so --resume refuses a
    store of another model or of the dark photon.
    """
    from ._checks import as_positive_array, check_inspire_id, scan_size_warning
    from .io import outputset
    from .likelihood.methods import check_methods
    from .model.dark_sector import parse_width
    from .scan import scan as run_scan
    from .scan.checkpoint import CheckpointStore, ScanInterrupted, checkpoint_path, critical, graceful_signals, store_key
    from .scan.parallel import check_execution, connect

    # validate everything before anything is created

    methods = check_methods(tuple(m.strip() for m in method.split(",")))
    spec, g_test = _model_spec(model_name, g_z, mix_epsilon, delta_m2, tan_beta, charges)
    if width is None:
        width = "narrow,wide" if spec is None else "narrow"
    widths = [parse_width(_parse_width(w)) for w in width.split(",")]
    workers, scheduler, timeout = check_execution(
        _int_option("--workers", workers_text, 1), scheduler, _float_option("--connect-timeout", timeout_text)
    )
    chunk = _int_option("--chunk", chunk_text, 1)
    check_inspire_id(inspire_id)
    out = _check_out_dir(out_dir)
    # overlays are loaded (and unknown names refused) before the scan; a g_z figure has none
    overlays = _overlays(overlay_names, external_dir) if plot and spec is None else []
    if spec is None:
        like = _likelihood(beam_spread_rel, mw_choice)
        grid = np.unique(as_positive_array("masses", _parse_masses(masses, like), unit="GeV"))
    else:
        from .scan import default_model_mass_grid

        like = spec.likelihood(mw_choice=mw_choice, beam_spread_rel=beam_spread_rel)
        grid = default_model_mass_grid(likelihood=like) if masses is None else _parse_masses(masses, like)
        grid = np.unique(as_positive_array("masses", grid, unit="GeV"))
    labels = [store_key(like, w, methods, grid)["width"] for w in widths]
    if len(set(labels)) != len(labels):
        raise ValueError(f"--width {width!r} repeats a width")
    if resume:
        for w in widths:
            path = checkpoint_path(out, w)
            if path.exists():
                CheckpointStore.check_resumable(path, store_key(like, w, methods, grid, spec), grid)
    size_note = scan_size_warning(grid.size, len(widths), methods, workers, model=spec is not None)
    if size_note:
        click.echo(f"kinmix: warning: {size_note}", err=True)

    # recorded in every output; execution options (workers, chunk, resume) are not: they do not change results
    # (a different chunk size only in the last bit: batched BLAS on other shapes, tests/test_distributed.py)
    inputs = {"inputs": {"command": "kinmix scan", "masses": "default refined grid" if masses is None else masses,
                         "mw_choice": mw_choice, "beam_spread_rel": like.beam_spread_rel}}
    if spec is not None:
        inputs["inputs"]["model"] = spec.name
        if masses is None:
            inputs["inputs"]["masses"] = "default model grid (150 log-spaced 10-5000 GeV, refined)"
        if g_z is not None:  # otherwise the plot and readers take the nominal g_z from metadata["model"]
            inputs["tested_g_z"] = g_test
    log.info("scan: %d masses x widths %s, methods %s, output %s", grid.size, ", ".join(labels), ",".join(methods), out)
    curves = []
    current = None
    with graceful_signals():
        try:
            connection = connect(workers, scheduler, timeout)  # fails fast on a bad address
            try:
                lock = outputset.locked(out, "kinmix scan")  # one writer per directory (clear error otherwise)
                lock.__enter__()
            except BaseException:
                if connection is not None:
                    connection.close()
                raise
            try:
                outputset.remove_stale(out)  # staging/temporary files of an interrupted run
                try:
                    for w in widths:
                        current = w
                        curves.append(run_scan(grid, w, methods, likelihood=like, progress=not quiet, chunk=chunk,
                                               client=None if connection is None else connection.client,
                                               checkpoint=checkpoint_path(out, w), resume=resume, metadata=inputs,
                                               model=spec))
                    current = None
                finally:
                    if connection is not None:
                        connection.close()
                stage = outputset.staging_dir(out)
                try:
                    _write_outputs(curves, stage, plot, like, inspire_id, export and any(m in methods for m in ("cls", "exact", "pyhf")),
                                   encoding, overlays)
                    with critical():  # SIGINT/SIGTERM wait for the commit; SIGKILL leaves INCOMPLETE
                        written = outputset.commit(out, stage, command="kinmix scan",
                                                   info={"scan_ids": {c.width: c.metadata["scan_id"] for c in curves}})
                finally:
                    shutil.rmtree(stage, ignore_errors=True)
            finally:
                lock.__exit__(None, None, None)
        except ScanInterrupted as stop:
            if (ctx.obj or {}).get("debug"):
                raise
            saved = ""
            if current is not None:
                from .scan.checkpoint import read_store

                path = checkpoint_path(out, current)
                try:
                    n_done = len(read_store(path)[1])
                    saved = f"; {n_done}/{grid.size} masses of width {labels[widths.index(current)]!r} saved in {path}"
                except (OSError, ValueError):
                    pass
            click.echo(f"kinmix: interrupted by {_signal_name(stop.signum)}{saved}; rerun with --resume to continue", err=True)
            ctx.exit(128 + stop.signum)
    name = "eps95" if spec is None else "gz95"
    for c in curves:
        col = c.eps95_obs if any(m in methods for m in ("cls", "exact", "pyhf")) else c.eps95_chi2
        ok = np.isfinite(col)
        rng = f"{name} from {np.nanmin(col[ok]):.3g} to {np.nanmax(col[ok]):.3g}" if ok.any() else f"no finite {name}"
        click.echo(f"{c.width}: {c.mass_gev.size} masses, {rng}; {sum(s != 'ok' for s in c.status)} points with a status note")
        if g_test is not None and ok.any():
            excluded = ok & (col < g_test)
            where = (f"excluded at {int(excluded.sum())} of {int(ok.sum())} masses (lowest "
                     f"{c.mass_gev[excluded].min():.4g} GeV, highest {c.mass_gev[excluded].max():.4g} GeV)"
                     if excluded.any() else "not excluded at any mass")
            click.echo(f"      g_z = {g_test:.4g} ({'--g-z' if g_z is not None else 'nominal'}): {where}")
    click.echo(f"wrote {len(written)} files to {out}")


def _load_config(ctx: click.Context, value: str | None) -> None:
    """``--config FILE``: a YAML mapping of option names (``beam-spread-rel`` or ``beam_spread_rel``) to values,
    used as the command's defaults (``ctx.default_map``); lists become comma-separated values."""
    if value is None:
        return
    import yaml

    try:
        doc = yaml.safe_load(Path(value).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise click.BadParameter(f"{value}: not valid YAML ({err})", ctx=ctx, param_hint="--config") from None
    if not isinstance(doc, dict):
        raise click.BadParameter(f"{value}: expected a mapping of option names to values", ctx=ctx, param_hint="--config")
    options: dict[str, click.Option] = {}
    for param in ctx.command.params:
        if isinstance(param, click.Option) and param.name and param.expose_value:
            for flag in param.opts + param.secondary_opts:
                if flag.startswith("--"):
                    options[flag[2:]] = param
            options[param.name] = param
    defaults: dict[str, object] = {}
    for key, raw in doc.items():
        opt = options.get(str(key)) or options.get(str(key).replace("_", "-"))
        if opt is None or opt.name is None:
            accepted = sorted(k for k in options if "_" not in k)
            raise click.BadParameter(f"{value}: unknown option {key!r}; accepted: {', '.join(accepted)}", ctx=ctx,
                                     param_hint="--config")
        val: object = raw  # booleans stay booleans (--plot/--no-plot); lists join for comma-separated options
        if isinstance(raw, list):
            val = list(raw) if opt.multiple else ",".join(str(v) for v in raw)
        elif opt.multiple:
            val = [raw]
        defaults[opt.name] = val
    ctx.default_map = {**(ctx.default_map or {}), **defaults}


def _signal_name(signum: int) -> str:
    import signal as _signal

    try:
        return _signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


@cli.command()
@click.option("--from", "from_dir", type=click.Path(exists=True, file_okay=False), required=True, help="Directory with limits_<width>.json.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True)
@click.option("--inspire-id", default=None, help="INSPIRE id (insNNNNNNN) for the patchset references.")
@click.option("--encoding", default="whitened", show_default=True, type=click.Choice(["whitened", "per_measurement"]),
              help="pyhf layout: whitened (3 pyhf parameters, rotation in whitening.json) or per_measurement.")
def export(from_dir, out_dir, inspire_id, encoding) -> None:
    """Write bkgonly.json + patchset.json (+ whitening.json) for the curves of a previous scan."""
    from ._checks import check_inspire_id
    from .io import outputset
    from .io.workspaces import WORKSPACE_FILES, export_workspaces

    check_inspire_id(inspire_id)
    curves = _read_curves(from_dir)
    out = _check_out_dir(out_dir)
    with _removed_if_failed(out), outputset.locked(out, "kinmix export"):
        outputset.remove_stale(out)
        stage = outputset.staging_dir(out)
        try:
            export_workspaces(curves, stage, inspire_id=inspire_id, encoding=encoding)
            written = outputset.commit(out, stage, command="kinmix export", replaces=WORKSPACE_FILES,
                                       info={"scan_ids": {c.width: c.metadata.get("scan_id") for c in curves}})
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    click.echo("wrote " + ", ".join(str(p) for p in written))


def _read_curves(from_dir) -> list:
    """The verified limits_<width>.json of a previous scan (content hash checked, no incomplete set)."""
    from .io.curves import read_limits_json
    from .io.outputset import check_not_incomplete

    check_not_incomplete(from_dir)
    files = sorted(Path(from_dir).glob("limits_*.json"))
    if not files:
        raise ValueError(f"no limits_<width>.json in {from_dir}")
    return [read_limits_json(f) for f in files]


class _removed_if_failed:
    """Remove ``path`` if this command created it and fails before writing anything into it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.existed = self.path.exists()

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None and not self.existed and self.path.is_dir():
            with contextlib.suppress(OSError):
                self.path.rmdir()  # only if empty: never removes what was written


@cli.command()
@click.option("--from", "from_dir", type=click.Path(exists=True, file_okay=False), required=True, help="Directory with limits_<width>.json.")
@click.option("--out", "out_files", type=click.Path(dir_okay=False), required=True, multiple=True,
              help="Image file (.png, .pdf, .svg, .eps); repeat for several formats.")
@_overlay_options
def plot(from_dir, out_files, overlay_names, external_dir) -> None:
    """Plot the curves of a previous scan with published limits (lists what is drawn and what is skipped)."""
    from .plotting.exclusion import exclusion_figure, save_figure

    curves = _read_curves(from_dir)
    if all(c.coupling == "epsilon" for c in curves):
        overlays = _overlays(overlay_names, external_dir)
    else:
        if overlay_names:
            raise ValueError("--overlay: the published limits are limits on the dark-photon eps; not drawn on a g_z plot")
        overlays = []
    fig = exclusion_figure(curves, overlays)
    for out_file in out_files:
        click.echo(f"wrote {save_figure(fig, out_file)}")


@cli.command("recast-cms")
@click.option("--alpha-d", "alpha_d", required=True, help="Comma-separated alpha_D values.")
@click.option("--m-chi", type=float, default=None, help="Dark-matter mass in GeV (default: the recast's default).")
@click.option("--resolution", type=float, required=True, help="Relative dimuon mass resolution (e.g. 0.013).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True)
@click.option("--cms-limit", "cms_limit", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Darkcast CMS_CMS2019kiy.lmt file (GPL; not shipped). Default: ../shared/data/limits.")
def recast_cms_cmd(alpha_d, m_chi, resolution, out_dir, cms_limit) -> None:
    """Relax the CMS dimuon dark-photon limits for a broad dark photon decaying to Dirac DM (arXiv:2505.03241)."""
    from .recast.cms_dimuon import recast_cms

    try:
        values = [float(x) for x in alpha_d.split(",")]
    except ValueError:
        raise ValueError(f"--alpha-d {alpha_d!r}: expected comma-separated numbers") from None
    with _removed_if_failed(Path(out_dir)):
        result = recast_cms(values, m_chi, resolution, Path(out_dir), None if cms_limit is None else Path(cms_limit))
    relaxed = np.asarray(result["eps_relaxed"])  # (n_alpha, n_mass)
    for k, a in enumerate(values):
        ratio = relaxed[k] / np.asarray(result["eps_cms"])
        click.echo(f"alpha_D = {a:g}: eps_relaxed/eps_CMS from {np.nanmin(ratio):.3g} to {np.nanmax(ratio):.3g} "
                   f"(median {np.nanmedian(ratio):.3g}) over {ratio.size} masses")
    files = result.get("files", {})
    paths = files.values() if isinstance(files, dict) else files
    click.echo("wrote " + ", ".join(str(p) for p in paths))


@cli.command("zprime-limits")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, help="Output directory for zprime_limits.csv.")
def zprime_limits_cmd(out_dir) -> None:
    """95% CL LEP-II and electroweak mass limits on the named Z' models of the PDG review (zprime_limits.csv)."""
    from .zprime_limits import zprime_limits

    with _removed_if_failed(Path(out_dir)):
        csv_path = zprime_limits(out_dir)
    click.echo(f"wrote {csv_path} and {csv_path.with_suffix('.json')}")


def main() -> None:
    """Console-script entry point."""
    cli(obj={}, prog_name="kinmix")


if __name__ == "__main__":  # pragma: no cover
    main()
