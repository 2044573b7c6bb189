"""The ``kinmix`` command group: one-line errors (exit 2), Ctrl-C (exit 130), logging options."""

from __future__ import annotations

import logging
import sys

import click

__all__ = ["cli", "main"]

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
    """Turns ValueError/OSError/ImportError into one-line errors unless --debug is given (any other exception,
    e.g. a KeyError, is a bug and keeps its traceback)."""

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
        except (ValueError, OSError, ImportError) as err:  # ImportError: a missing optional extra
            if ctx.params.get("debug") or (ctx.obj or {}).get("debug"):
                raise
            click.echo(f"kinmix: error: {err}", err=True)
            ctx.exit(2)


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
    from .._env import source_date_epoch

    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    _configure_logging(verbose, log_level)
    source_date_epoch()  # a bad SOURCE_DATE_EPOCH fails here, before any work
    from ..scan.parallel import blas_single_thread

    ctx.with_resource(blas_single_thread())  # same bits whatever --workers: every computation of the command single-threaded


def main() -> None:
    """Console-script entry point."""
    cli(obj={}, prog_name="kinmix")
