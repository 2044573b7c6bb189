"""Environment variables read by the package, validated without importing numpy or scipy.

``SOURCE_DATE_EPOCH`` (reproducible-builds convention) fixes the time stamp written into ROOT and tar.gz
outputs. numpy's f2py (imported by scipy.linalg) converts it with ``int()`` at import time, so a garbage
value used to crash ``import kinmix_stats`` with a traceback. :func:`import_guard` hides a malformed value
while the package imports its dependencies; :func:`source_date_epoch` then reports it as a one-line
``ValueError`` wherever it is used (the CLI checks it before any work).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping

__all__ = [
    "DEFAULT_SOURCE_DATE_EPOCH",
    "SOURCE_DATE_EPOCH_RANGE",
    "created_utc",
    "import_guard",
    "interrupted_at_start",
    "source_date_epoch",
]

#: Accepted SOURCE_DATE_EPOCH (seconds since 1970-01-01 UTC): ROOT's TDatime, written by uproot, stores the
#: year as year - 1995 in 6 bits, so a ROOT file holds 1995-01-01T00:00:00Z ... 2058-12-31T23:59:59Z.
SOURCE_DATE_EPOCH_RANGE = (788918400, 2808604799)
#: 2000-01-01T00:00:00Z, used when SOURCE_DATE_EPOCH is unset
DEFAULT_SOURCE_DATE_EPOCH = 946684800


def source_date_epoch(environ: Mapping[str, str] | None = None) -> int:
    """``$SOURCE_DATE_EPOCH`` as validated seconds (default 2000-01-01); ``ValueError`` naming the value and range."""
    env = os.environ if environ is None else environ
    text = env.get("SOURCE_DATE_EPOCH")
    if text is None or not text.strip():
        return DEFAULT_SOURCE_DATE_EPOCH
    lo, hi = SOURCE_DATE_EPOCH_RANGE
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"SOURCE_DATE_EPOCH must be an integer number of seconds in [{lo}, {hi}], got {text!r}") from None
    if not lo <= value <= hi:
        raise ValueError(
            f"SOURCE_DATE_EPOCH {value} is outside the accepted range [{lo}, {hi}] (1995-01-01 to 2058-12-31 UTC, "
            "the dates a ROOT file can hold)"
        )
    return value


def created_utc(environ: Mapping[str, str] | None = None) -> str:
    """ISO 8601 UTC time stamp (seconds) for an output's metadata: ``$SOURCE_DATE_EPOCH`` when it is set
    (reproducible-builds convention: the same inputs give the same bytes), else the current time."""
    import datetime as dt

    env = os.environ if environ is None else environ
    text = env.get("SOURCE_DATE_EPOCH")
    if text is not None and text.strip():
        moment = dt.datetime.fromtimestamp(source_date_epoch(env), tz=dt.timezone.utc)
    else:
        moment = dt.datetime.now(dt.timezone.utc)
    return moment.isoformat(timespec="seconds")


@contextlib.contextmanager
def import_guard() -> Iterator[None]:
    """Hide a SOURCE_DATE_EPOCH that is not an integer while dependencies are imported; restore it after."""
    text = os.environ.get("SOURCE_DATE_EPOCH")
    bad = text is not None and not text.strip().lstrip("-").isdigit()
    if bad:
        del os.environ["SOURCE_DATE_EPOCH"]
    try:
        yield
    finally:
        if bad and text is not None:
            os.environ["SOURCE_DATE_EPOCH"] = text


def _is_cli() -> bool:
    from pathlib import Path

    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return name in ("kinmix", "-m", "cli.py")


@contextlib.contextmanager
def interrupted_at_start() -> Iterator[None]:
    """Ctrl-C while the ``kinmix`` command imports the package: one line and exit status 130, no traceback
    (in a Python session the KeyboardInterrupt propagates as usual). A SIGINT inside a C extension's
    import surfaces as an ImportError (numpy), so the signal itself is recorded."""
    import signal
    import threading

    if not _is_cli() or threading.current_thread() is not threading.main_thread():
        yield
        return
    hit: list[int] = []

    def handler(signum, frame):  # noqa: ARG001 - signal handler signature
        hit.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    except BaseException:
        if not hit:
            raise
        sys.stderr.write("kinmix: interrupted while starting up\n")
        sys.stderr.flush()
        raise SystemExit(130) from None
    finally:
        signal.signal(signal.SIGINT, previous)
