"""``kinmix recast-cms`` (CMS dimuon limits relaxed for a broad dark photon) and ``kinmix zprime-limits``
(LEP-II and electroweak mass limits on the named Z' models)."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from .options import NUMBERS, FloatRange, removed_if_failed

__all__ = ["recast_cms", "zprime_limits"]


@click.command("recast-cms")
@click.option("--alpha-d", "alpha_d", type=NUMBERS, required=True, help="Comma-separated alpha_D values.")
@click.option("--m-chi", type=FloatRange(0.0, min_open=True), default=None,
              help="Dark-matter mass in GeV (default: the recast's default).")
@click.option("--resolution", type=FloatRange(0.0, min_open=True), required=True, help="Relative dimuon mass resolution (e.g. 0.013).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True)
@click.option("--cms-limit", "cms_limit", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Darkcast CMS_CMS2019kiy.lmt file (GPL; not shipped). Default: ../shared/data/limits.")
def recast_cms(alpha_d: list[float], m_chi, resolution, out_dir, cms_limit) -> None:
    """Relax the CMS dimuon dark-photon limits for a broad dark photon decaying to Dirac DM (arXiv:2505.03241)."""
    from ..recast.cms_dimuon import recast_cms as run_recast

    with removed_if_failed(Path(out_dir)):
        result = run_recast(alpha_d, m_chi, resolution, Path(out_dir), None if cms_limit is None else Path(cms_limit))
    relaxed = np.asarray(result["eps_relaxed"])  # (n_alpha, n_mass)
    for k, a in enumerate(alpha_d):
        ratio = relaxed[k] / np.asarray(result["eps_cms"])
        click.echo(f"alpha_D = {a:g}: eps_relaxed/eps_CMS from {np.nanmin(ratio):.3g} to {np.nanmax(ratio):.3g} "
                   f"(median {np.nanmedian(ratio):.3g}) over {ratio.size} masses")
    files = result.get("files", {})
    paths = files.values() if isinstance(files, dict) else files
    click.echo("wrote " + ", ".join(str(p) for p in paths))


@click.command("zprime-limits")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, help="Output directory for zprime_limits.csv.")
def zprime_limits(out_dir) -> None:
    """95% CL LEP-II and electroweak mass limits on the named Z' models of the PDG review (zprime_limits.csv)."""
    from ..zprime_limits import zprime_limits as write_limits

    with removed_if_failed(Path(out_dir)):
        csv_path = write_limits(out_dir)
    click.echo(f"wrote {csv_path} and {csv_path.with_suffix('.json')}")
