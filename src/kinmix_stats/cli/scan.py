"""``kinmix scan``: an exclusion scan written as one output set (CSV/JSON per width, plots, HEPData, ROOT,
pyhf workspaces; MANIFEST.json), checkpointed and resumable."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import click
import numpy as np

from .options import (
    ENCODING,
    INSPIRE_ID,
    MASSES,
    SCAN_METHODS,
    SCHEDULER,
    WIDTHS,
    Checked,
    check_out_dir,
    likelihood_from_options,
    limit_options,
    load_config,
    load_overlays,
    mass_grid,
    model_from_options,
    model_options,
    overlay_options,
    signal_name,
)

__all__ = ["scan"]

log = logging.getLogger("kinmix_stats.cli")


def _connect_timeout(text: str) -> float:
    from ..scan.parallel import check_execution

    return check_execution(1, None, float(text))[2]


@click.command()
@click.option("--width", type=WIDTHS, default=None, help="Comma-separated widths. Default: narrow,wide; with --model: narrow.")
@click.option("--masses", type=MASSES, default=None,
              help="LO:HI:N (log-spaced) or a list. Default: 200 log-spaced masses 1-1000 GeV refined at the measured "
                   "energies and around m_Z0; with --model 150 log-spaced masses 10 GeV-5 TeV refined the same way "
                   "(LEP-II constrains a heavy Z' through contact interactions up to a few TeV).")
@limit_options(SCAN_METHODS)
@click.option("--out", "out_dir", required=True, help="Output directory (created if needed).")
@click.option("--plot/--no-plot", default=True, show_default=True, help="Write exclusion_<width>.png.")
@click.option("--export/--no-export", default=True, show_default=True, help="Write workspaces/bkgonly.json + patchset.json.")
@click.option("--encoding", type=ENCODING, default="whitened", show_default=True,
              help="pyhf layout of the export: whitened (3 pyhf parameters, fast to fit) or per_measurement "
                   "(one channel per measurement, one nuisance per correlated measurement; slow to fit).")
@click.option("--inspire-id", type=INSPIRE_ID, default=None, help="INSPIRE id (insNNNNNNN) for the patchset references.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="1: run in this process; N > 1: a local Dask cluster of N worker processes.")
@click.option("--scheduler", type=SCHEDULER, default=None, help="Address of an existing Dask scheduler (tcp://host:port) or 'synchronous'.")
@click.option("--connect-timeout", "timeout", type=Checked("seconds", _connect_timeout), default="10", show_default=True,
              help="Seconds to wait for --scheduler.")
@click.option("--chunk", type=click.IntRange(min=1), default=100, show_default=True, help="Masses per task (and per checkpoint write).")
@click.option("--resume", is_flag=True, help="Skip the masses already in OUT/checkpoint_<width>.jsonl (same scan only).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@model_options
@overlay_options
@click.option("--config", type=click.Path(exists=True, dir_okay=False), is_eager=True, expose_value=False,
              callback=lambda ctx, _param, value: load_config(ctx, value),
              help="YAML file with any of this command's options (same names, e.g. width: narrow, masses: 1:1000:50, "
                   "out: results); options on the command line override it.")
@click.pass_context
def scan(ctx, width, masses, method, cl, out_dir, plot, export, encoding, beam_spread_rel, mw_choice, inspire_id, workers,
         scheduler, timeout, chunk, resume, quiet, model_name, g_z, mix_epsilon, delta_m2, tan_beta,
         overlay_names=(), external_dir=None, charges=None) -> None:
    """Exclusion scan: CSV/JSON per width, plots, HEPData YAML, ROOT file and pyhf workspaces.

    Finished masses are appended to OUT/checkpoint_<width>.jsonl as they complete; after an
    interruption (Ctrl-C, SIGTERM) rerun the same command with --resume to continue. The final files
    are written (atomically) only when every mass is done.

    With --model the same files hold limits on the model's gauge coupling g_z (columns gz95_obs, ...,
    POI mu = (g_z/g_ref)^2 in the workspaces); the checkpoint records the model, so --resume refuses a
    store of another model or of the dark photon.
    """
    from .._checks import check_workers, scan_size_warning
    from ..io import outputset
    from ..likelihood.methods import CLS_METHODS
    from ..model.dark_sector import width_label
    from ..scan import scan as run_scan
    from ..scan.checkpoint import CheckpointStore, ScanInterrupted, checkpoint_path, critical, graceful_signals, store_key
    from ..scan.parallel import check_execution, connect

    # validate everything before anything is created
    spec, g_test = model_from_options(model_name, g_z, mix_epsilon, delta_m2, tan_beta, charges)
    widths = width if width is not None else (["narrow", "wide"] if spec is None else ["narrow"])
    check_workers(workers, "--workers")
    workers, scheduler, timeout = check_execution(workers, scheduler, timeout)
    out = check_out_dir(out_dir)
    # overlays are loaded (and unknown names refused) before the scan; a g_z figure has none
    overlays = load_overlays(overlay_names, external_dir) if plot and spec is None else []
    like = likelihood_from_options(beam_spread_rel, mw_choice, spec)
    grid = mass_grid(masses, like, spec)
    labels = [width_label(w) for w in widths]
    if resume:
        for w in widths:
            path = checkpoint_path(out, w)
            if path.exists():
                CheckpointStore.check_resumable(path, store_key(like, w, method, grid, spec, cl), grid)
    size_note = scan_size_warning(grid.size, len(widths), method, workers, model=spec is not None)
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
    log.info("scan: %d masses x widths %s, methods %s, output %s", grid.size, ", ".join(labels), ",".join(method), out)
    has_cls = any(m in CLS_METHODS for m in method)
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
                        curves.append(run_scan(grid, w, method, likelihood=like, progress=not quiet, chunk=chunk,
                                               client=None if connection is None else connection.client,
                                               checkpoint=checkpoint_path(out, w), resume=resume, metadata=inputs,
                                               model=spec, cl=cl))
                    current = None
                finally:
                    if connection is not None:
                        connection.close()
                stage = outputset.staging_dir(out)
                try:
                    _write_outputs(curves, stage, plot, like, inspire_id, export and has_cls, encoding, overlays)
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
            click.echo(f"kinmix: interrupted by {signal_name(stop.signum)}{_saved(out, current, widths, labels, grid)}; "
                       "rerun with --resume to continue", err=True)
            ctx.exit(128 + stop.signum)
    name = "eps95" if spec is None else "gz95"
    for c in curves:
        col = c.eps95_obs if has_cls else c.eps95_chi2
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


def _saved(out: Path, current, widths, labels, grid) -> str:
    """'; N/M masses of width W saved in PATH' after an interruption (empty if nothing can be said)."""
    if current is None:
        return ""
    from ..scan.checkpoint import checkpoint_path, read_store

    path = checkpoint_path(out, current)
    try:
        n_done = len(read_store(path)[1])
    except (OSError, ValueError):
        return ""
    return f"; {n_done}/{grid.size} masses of width {labels[widths.index(current)]!r} saved in {path}"


def _write_outputs(curves, out: Path, plot: bool, like, inspire_id, export: bool, encoding: str = "whitened",
                   overlays=()) -> list[Path]:
    from ..io.curves import write_hepdata, write_limits_csv, write_limits_json, write_root
    from ..io.hepdata import archive_path
    from ..plotting.exclusion import exclusion_figure, save_figure

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
        from ..io.workspaces import export_workspaces

        likelihoods = [Path(p) for p in export_workspaces(curves, out / "workspaces", likelihood=like,
                                                          inspire_id=inspire_id, encoding=encoding)]
        whitening = out / "workspaces" / "whitening.json"
        if whitening.exists() and whitening not in likelihoods:
            likelihoods.append(whitening)
        written.extend(likelihoods)
    # the HEPData submission attaches whatever likelihood files the export wrote (HistFactory resource)
    written.append(write_hepdata(curves, out / "hepdata", likelihoods=likelihoods))
    written.append(archive_path(out / "hepdata"))
    return written
