"""``kinmix plot``: the curves of a previous scan with published limits."""

from __future__ import annotations

import click

from .options import load_overlays, overlay_options, read_curves

__all__ = ["plot"]


@click.command()
@click.option("--from", "from_dir", type=click.Path(exists=True, file_okay=False), required=True, help="Directory with limits_<width>.json.")
@click.option("--out", "out_files", type=click.Path(dir_okay=False), required=True, multiple=True,
              help="Image file (.png, .pdf, .svg, .eps); repeat for several formats.")
@overlay_options
def plot(from_dir, out_files, overlay_names, external_dir) -> None:
    """Plot the curves of a previous scan with published limits (lists what is drawn and what is skipped)."""
    from ..plotting.exclusion import exclusion_figure, save_figure

    curves = read_curves(from_dir)
    if all(c.coupling == "epsilon" for c in curves):
        overlays = load_overlays(overlay_names, external_dir)
    else:
        if overlay_names:
            raise click.BadParameter("the published limits are limits on the dark-photon eps; not drawn on a g_z plot",
                                     param_hint="'--overlay'")
        overlays = []
    fig = exclusion_figure(curves, overlays)
    for out_file in out_files:
        click.echo(f"wrote {save_figure(fig, out_file)}")
