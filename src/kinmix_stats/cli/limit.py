"""``kinmix limit``: the limit at one mass (every requested method), its expected band and the dominant
measurements; with ``--model`` the limit on g_z and whether the model's coupling is excluded."""

from __future__ import annotations

import logging

import click

from .options import LIMIT_METHODS, WIDTH, likelihood_from_options, limit_options, model_from_options, model_options

__all__ = ["limit"]

log = logging.getLogger("kinmix_stats.cli")


@click.command()
@click.option("--mass", type=float, required=True, help="Physical Z' mass in GeV.")
@click.option("--width", type=WIDTH, default="narrow", show_default=True, help="narrow | wide | dark width in GeV | dirac:ALPHA_D:M_CHI")
@limit_options(LIMIT_METHODS)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON (LimitResult.to_dict(), one per method).")
@model_options
def limit(mass: float, width: str, method: tuple[str, ...], beam_spread_rel, mw_choice: str, model_name, g_z, mix_epsilon,
          delta_m2, tan_beta, cl: float = 0.95, as_json: bool = False, charges: str | None = None) -> None:
    """Print the limit on eps at one mass (95% CL unless --cl), its expected band and the dominant measurements.

    With --model: the limit on the model's gauge coupling g_z (CLs observed, expected, +-1/2 sigma band,
    Delta chi^2), its nominal g_z if it has one, and whether that (or --g-z) is excluded at this mass.
    """
    from .._checks import check_mass
    from ..likelihood.limits import upper_limit
    from ..likelihood.methods import chi2_threshold
    from ..model.dark_sector import parse_width

    check_mass("--mass", mass)
    spec, g_test = model_from_options(model_name, g_z, mix_epsilon, delta_m2, tan_beta, charges)
    like = likelihood_from_options(beam_spread_rel, mw_choice, spec)
    w = parse_width(width)
    name = ("eps" if spec is None else "gz") + f"{100 * cl:g}"
    what = "" if spec is None else f"{spec.name} Z', "
    results = []
    for m in method:
        log.info("limit: method %s at m = %g GeV, width %s, CL %g", m, mass, width, cl)
        if m == "chi2":
            res = upper_limit(float(mass), w, m, likelihood=like, delta_chi2=chi2_threshold(cl))  # scalar result
        else:
            res = upper_limit(float(mass), w, m, likelihood=like, cl=cl)
        results.append(res)
        if as_json:
            continue
        click.echo(f"[{m}] {what}m_Z' = {mass:g} GeV, width = {width}: {name}_obs = {res.limit_observed:.5g}"
                   + (f", {name}_exp = {res.limit_expected:.5g}" if m != "chi2" else "")
                   + f"  (status: {res.status})")
        if m in ("cls", "pyhf"):
            band = ", ".join(f"{n:+d}s: {v:.4g}" for n, v in zip((-2, -1, 0, 1, 2), res.expected_band, strict=True))
            click.echo(f"      expected band: {band}; re-linearisation steps: {res.iterations}")
        if m == "pyhf":
            click.echo(f"      engine: pyhf {res.engine['version']} upper_limit, {res.engine['optimizer']} "
                       f"(iminuit {res.engine['optimizer_version']})")
        if m == "exact":
            band = ", ".join(f"{n:+d}s: {v:.4g}" for n, v in zip((-2, -1, 0, 1, 2), res.expected_band, strict=True))
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
    from ..likelihood.zprime import cls_at_nominal

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

    from ..model.zprime import lhc_coefficients_of

    c = lhc_coefficients_of(spec.factory()(np.array([mass]), g_z, width, None))
    click.echo(f"LHC (PDG Z' review Eq. 8, f = e or mu) at g_z = {g_z:.5g}: c_u = {c['c_u']:.4g}, c_d = {c['c_d']:.4g}, "
               f"B(Z' -> e+e-) = {c['br_ee']:.4g}, Gamma_Z' = {c['total_width_gev']:.4g} GeV")
