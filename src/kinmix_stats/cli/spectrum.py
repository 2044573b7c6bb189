"""``kinmix spectrum``: masses, couplings and widths of A, Z, Z' for one dark photon."""

from __future__ import annotations

import click

from .options import WIDTH, FloatRange

__all__ = ["spectrum"]


@click.command()
@click.option("--mass", type=float, required=True, help="Physical Z' mass in GeV.")
@click.option("--epsilon", type=FloatRange(), required=True, help="Kinetic mixing (Hook convention).")
@click.option("--width", type=WIDTH, default="narrow", show_default=True, help="narrow | wide | dark width in GeV | dirac:ALPHA_D:M_CHI")
def spectrum(mass: float, epsilon: float, width: str) -> None:
    """Print masses, couplings and widths of A, Z, Z' for one dark photon."""
    from .._checks import check_mass
    from ..inputs import FERMIONS
    from ..model import DarkPhoton
    from ..model.dark_sector import parse_width

    check_mass("--mass", mass)
    dp = DarkPhoton(mass, epsilon, width=parse_width(width))
    click.echo(f"m_Z = {dp.mz:.6f} GeV   m_Z' = {dp.mzp:.6f} GeV   m_X (Lagrangian) = {dp.mx:.6f} GeV   xi = {dp.xi:.6g}")
    click.echo(f"Gamma_Z = {dp.total_width('Z'):.6g} GeV   Gamma_Z' = {dp.total_width('Zp'):.6g} GeV   "
               f"Gamma_Z'(dark) = {dp.partial_width('Zp', 'dark'):.6g} GeV")
    click.echo(f"{'fermion':8s} {'gV(Z)':>12s} {'gA(Z)':>12s} {'gV(Zp)':>12s} {'gA(Zp)':>12s} {'BR(Zp)':>10s}")
    for f in FERMIONS:
        gvz, gaz = dp.couplings("Z", f)
        gvp, gap = dp.couplings("Zp", f)
        click.echo(f"{f:8s} {gvz:12.5g} {gaz:12.5g} {gvp:12.5g} {gap:12.5g} {dp.branching_ratio('Zp', f):10.4g}")
