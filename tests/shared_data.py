"""Where the tests find the project's shared data (files the package may not redistribute).

The GPL Darkcast curves and the LHAPDF ``.info`` files live in the project's ``shared/`` directory, not in the
package. It is looked up in ``$KINMIX_SHARED``, else beside the repository (``<repo>/../shared``), which is
where CI puts it (a fresh clone with ``shared/`` next to it).

Outside CI a test that needs a missing file is skipped with a reason starting with :data:`SKIP_PREFIX`; when
the ``CI`` environment variable is set, ``conftest.py`` turns such a skip into a failure, so CI can never
pass while silently not running them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SKIP_PREFIX = "shared data missing:"


def shared_root() -> Path:
    """``$KINMIX_SHARED`` if set, else ``<repo>/../shared``."""
    env = os.environ.get("KINMIX_SHARED")
    return Path(env).expanduser().resolve() if env else REPO.parent / "shared"


SHARED_DATA = shared_root() / "data"


def needs(path: Path, what: str) -> pytest.MarkDecorator:
    """Mark a test that reads ``path`` (skipped outside CI when it is missing, a failure in CI)."""
    return pytest.mark.skipif(
        not path.exists(), reason=f"{SKIP_PREFIX} {what} not found at {path} (set KINMIX_SHARED=<shared dir>)"
    )


def skip_missing(path: Path, what: str) -> None:
    """Inside a test: skip (outside CI) / fail (CI) when ``path`` is missing."""
    if not path.exists():
        pytest.skip(f"{SKIP_PREFIX} {what} not found at {path} (set KINMIX_SHARED=<shared dir>)")
