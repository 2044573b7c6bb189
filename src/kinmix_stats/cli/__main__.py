"""``python -m kinmix_stats.cli``: the ``kinmix`` command."""

from . import main

main()
