"""``kinmix`` command line: thin commands over the Python API (no physics or statistics here).

One module per command: :mod:`.spectrum`, :mod:`.limit`, :mod:`.scan`, :mod:`.export`, :mod:`.plot`,
:mod:`.recast` (``recast-cms``, ``zprime-limits``); shared option types in :mod:`.options`, the group in
:mod:`.app`. A bad input exits with status 2 and one line on stderr naming the option (``--debug`` shows the
traceback). Heavy libraries load only inside the commands, so ``kinmix --help`` is fast.
"""

from __future__ import annotations

from .._env import import_guard, interrupted_at_start

with import_guard(), interrupted_at_start():  # Ctrl-C / a bad SOURCE_DATE_EPOCH while importing: no traceback
    import click  # noqa: F401 - imported under the guard
    import numpy as np  # noqa: F401 - imported under the guard

    from .app import cli, main
    from .export import export
    from .limit import limit
    from .plot import plot
    from .recast import recast_cms, zprime_limits
    from .scan import scan
    from .spectrum import spectrum

for _command in (spectrum, limit, scan, export, plot, recast_cms, zprime_limits):
    cli.add_command(_command)

__all__ = ["cli", "main"]
