"""``kinmix export``: the pyhf workspaces (bkgonly.json + patchset.json, + whitening.json) of a previous scan."""

from __future__ import annotations

import contextlib
import shutil

import click

from .options import ENCODING, INSPIRE_ID, check_out_dir, read_curves, removed_if_failed

__all__ = ["export"]


@click.command()
@click.option("--from", "from_dir", type=click.Path(exists=True, file_okay=False), required=True, help="Directory with limits_<width>.json.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True)
@click.option("--inspire-id", type=INSPIRE_ID, default=None, help="INSPIRE id (insNNNNNNN) for the patchset references.")
@click.option("--encoding", type=ENCODING, default="whitened", show_default=True,
              help="pyhf layout: whitened (3 pyhf parameters, rotation in whitening.json) or per_measurement.")
def export(from_dir, out_dir, inspire_id, encoding) -> None:
    """Write bkgonly.json + patchset.json (+ whitening.json) for the curves of a previous scan.

    The files replace any earlier export in OUT as one set (MANIFEST.json), also one of another encoding.
    If OUT is a folder of a scan's output set (e.g. DIR/workspaces), that set's MANIFEST.json is updated
    to list the new files. OUT may not be a scan's output directory itself (the export would replace it).
    """
    from ..io import outputset
    from ..io.workspaces import WORKSPACE_FILES, export_workspaces

    curves = read_curves(from_dir)
    out = check_out_dir(out_dir)
    enclosing = outputset.enclosing_set(out)
    with contextlib.ExitStack() as held:
        held.enter_context(removed_if_failed(out))
        if enclosing is not None:  # the scan's directory: nobody may write it while its manifest is amended
            held.enter_context(outputset.locked(enclosing[0], "kinmix export"))
        held.enter_context(outputset.locked(out, "kinmix export"))
        owner = (outputset.read_manifest(out) or {}).get("command", "kinmix export")
        if owner != "kinmix export":
            raise click.BadParameter(
                f"{str(out)!r} holds the output set of {owner!r}, which an export there would replace; export into its "
                f"workspaces folder ({str(out / 'workspaces')!r}: its MANIFEST.json is updated) or choose another --out",
                param_hint="'--out'")
        outputset.remove_stale(out)
        stage = outputset.staging_dir(out)
        try:
            export_workspaces(curves, stage, inspire_id=inspire_id, encoding=encoding)
            written = outputset.commit(out, stage, command="kinmix export", replaces=WORKSPACE_FILES, enclosing=enclosing,
                                       info={"scan_ids": {c.width: c.metadata.get("scan_id") for c in curves}})
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    click.echo("wrote " + ", ".join(str(p) for p in written))
    if enclosing is not None:
        click.echo(f"updated {enclosing[0] / outputset.MANIFEST_NAME} (its {enclosing[1]}/ files are the new ones)")
