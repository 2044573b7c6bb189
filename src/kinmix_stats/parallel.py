"""Where the chunks of a scan run: in this process (synchronous) or on Dask workers.

* ``workers=1`` (default) or ``scheduler="synchronous"``: every chunk runs here, in order; Dask is
  not even imported. Use it for debugging (breakpoints, tracebacks) and small scans.
* ``workers=N > 1``: a :class:`distributed.LocalCluster` of N worker *processes* with one thread each
  (the hot path is numpy/BLAS; BLAS is kept single-threaded per worker so N workers use N cores).
* ``scheduler="tcp://host:port"``: an existing Dask scheduler (a real cluster); connecting fails
  within ``connect_timeout`` seconds with a one-line error instead of hanging.

The likelihood is sent to every worker ONCE (``client.scatter(like, broadcast=True)``); each task
carries only its masses. Results come back as they complete (``as_completed``), so the caller can
checkpoint them immediately; the scan assembles them by index, so the output does not depend on the
completion order, and a chunk gives bit-identical numbers wherever it runs (same code, same inputs,
single-threaded BLAS).
"""

from __future__ import annotations

import logging
import numbers
import os
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ._optional import optional_dependency

__all__ = ["SYNCHRONOUS", "check_execution", "connect", "run_tasks", "DEFAULT_CONNECT_TIMEOUT"]

SYNCHRONOUS = "synchronous"
DEFAULT_CONNECT_TIMEOUT = 10.0
_ADDRESS = re.compile(r"^(tcp|tls|ws|wss|ucx|inproc)://(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)(:\d{1,5})?(/[\w.-]*)?$")
_BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def check_execution(workers: Any = None, scheduler: Any = None, connect_timeout: Any = DEFAULT_CONNECT_TIMEOUT):
    """Validate the execution options; return ``(workers, scheduler_or_None, timeout)``.

    ``workers`` is an integer >= 1 (None means 1); ``scheduler`` is None, ``"synchronous"`` or a Dask
    address ``protocol://host:port``; a worker count > 1 together with a scheduler address is refused
    (the cluster behind the address decides how many workers there are).
    """
    if workers is None:
        workers = 1
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral):
        raise ValueError(f"workers must be an integer >= 1, got {workers!r} ({type(workers).__name__})")
    workers = int(workers)
    if workers < 1:
        raise ValueError(f"workers must be an integer >= 1 (1 = run in this process), got {workers}")
    if scheduler is not None:
        if not isinstance(scheduler, str) or not scheduler.strip():
            raise ValueError(f"scheduler must be 'synchronous' or a Dask address like 'tcp://host:8786', got {scheduler!r}")
        scheduler = scheduler.strip()
        if scheduler != SYNCHRONOUS and not _ADDRESS.match(scheduler):
            raise ValueError(
                f"scheduler address {scheduler!r} is not valid: expected 'synchronous' or protocol://host:port "
                "(protocol tcp, tls, ws, wss, ucx or inproc), e.g. tcp://127.0.0.1:8786"
            )
        if scheduler == SYNCHRONOUS:
            if workers > 1:
                raise ValueError(f"scheduler='synchronous' runs in this process: workers must be 1, got {workers}")
            scheduler = None
        elif workers > 1:
            raise ValueError(
                f"give either workers={workers} (a local cluster) or scheduler={scheduler!r} (an existing cluster), not both"
            )
    from ._checks import check_in_range

    timeout = check_in_range("connect_timeout", connect_timeout, 0.0, 3600.0, low_inclusive=False)
    return workers, scheduler, timeout


def _worker_env() -> dict[str, str]:
    """Single-threaded BLAS in every worker (as in this process by default; see tests/conftest.py)."""
    return {k: os.environ.get(k, "1") for k in _BLAS_VARS}


class _Connection:
    """A Dask client and, when we started it, its LocalCluster; ``close()`` stops what we own."""

    def __init__(self, client, cluster=None) -> None:
        self.client = client
        self.cluster = cluster

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def connect(workers: int = 1, scheduler: str | None = None, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT):
    """A :class:`_Connection` (``.client``) for the validated options, or None for synchronous execution.

    Raises ``OSError`` naming the address if the scheduler cannot be reached within ``connect_timeout`` s.
    """
    workers, scheduler, timeout = check_execution(workers, scheduler, connect_timeout)
    if scheduler is None and workers == 1:
        return None
    with optional_dependency("dask"):
        from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=f"{timeout}s", set_as_default=False)
        except (OSError, TimeoutError) as err:
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise OSError(
                f"cannot connect to the Dask scheduler {scheduler!r} within {timeout:g} s ({reason}); "
                "check the address or use --workers N for a local cluster"
            ) from None
        return _Connection(client)
    import dask

    # distributed sets MALLOC_TRIM_THRESHOLD_=65536 in every worker by default; that fixed threshold also
    # disables glibc's dynamic mmap threshold, so each large numpy temporary is mmap-ed and page-faulted
    # afresh: measured 1.6x slower limits per worker. Unset it (None) for our workers.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
            env=_worker_env(),
        )
    try:
        client = Client(cluster, set_as_default=False)
    except BaseException:
        cluster.close()
        raise
    return _Connection(client, cluster)


def run_tasks(
    fn: Callable[..., Any], shared: Any, tasks: Iterable[tuple[Any, tuple]], client=None
) -> Iterator[tuple[Any, Any]]:
    """Yield ``(key, fn(shared, *args))`` for every ``(key, args)`` of ``tasks`` as they complete.

    Without ``client`` the tasks run here, in order. With a Dask client ``shared`` is scattered to
    every worker once and the tasks are submitted together; if the consumer stops early (an
    interrupt), the remaining futures are cancelled.
    """
    tasks = list(tasks)
    if client is None:
        for key, args in tasks:
            yield key, fn(shared, *args)
        return
    from distributed import as_completed

    shared_future = client.scatter(shared, broadcast=True, hash=False)
    futures = {}
    try:
        for key, args in tasks:
            futures[client.submit(fn, shared_future, *args, pure=False)] = key
        for fut in as_completed(list(futures), loop=client.loop):
            yield futures[fut], fut.result()
    finally:
        pending = [f for f in futures if not f.done()]
        if pending:
            client.cancel(pending)
        client.cancel([shared_future])
