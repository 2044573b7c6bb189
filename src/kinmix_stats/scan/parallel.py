"""Where the chunks of a scan run: in this process (synchronous) or on Dask workers.

* ``workers=1`` (default) or ``scheduler="synchronous"``: every chunk runs here, in order; Dask is
  not even imported. Use it for debugging (breakpoints, tracebacks) and small scans.
* ``workers=N > 1``: a :class:`distributed.LocalCluster` of N worker *processes* with one thread each
  (the hot path is numpy/BLAS; BLAS is kept single-threaded per worker so N workers use N cores).
* ``scheduler="tcp://host:port"``: an existing Dask scheduler (a real cluster). The address is parsed
  by Dask (``distributed.comm.addressing``); before the client is built, a probe opens a Dask comm to it
  and asks for its identity under one overall ``connect_timeout`` deadline, so a closed port, a port
  that accepts and never answers, and a server speaking another protocol (HTTP) all fail within the
  timeout with a one-line ``OSError`` instead of hanging or raising MemoryError.

The likelihood is sent to every worker ONCE (``client.scatter(like, broadcast=True)``); each task
carries only its masses. Results come back as they complete (``as_completed``), so the caller can
checkpoint them immediately; the scan assembles them by index, so the output does not depend on the
completion order, and a chunk gives bit-identical numbers wherever it runs (same code, same inputs,
single-threaded BLAS: every chunk runs under ``threadpoolctl.threadpool_limits(1)``, in this process
as on a worker, so the number of workers cannot change the summation order of a BLAS kernel).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .._optional import optional_dependency

__all__ = ["SYNCHRONOUS", "check_execution", "connect", "run_tasks", "DEFAULT_CONNECT_TIMEOUT"]

SYNCHRONOUS = "synchronous"
DEFAULT_CONNECT_TIMEOUT = 10.0
_PROTOCOLS = ("tcp", "tls", "ws", "wss", "ucx", "inproc")
_BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def check_execution(workers: Any = None, scheduler: Any = None, connect_timeout: Any = DEFAULT_CONNECT_TIMEOUT):
    """Validate the execution options; return ``(workers, scheduler_or_None, timeout)``.

    ``workers`` is an integer >= 1 (None means 1); ``scheduler`` is None, ``"synchronous"`` or a Dask
    address ``protocol://host:port``; a worker count > 1 together with a scheduler address is refused
    (the cluster behind the address decides how many workers there are).
    """
    from .._checks import check_workers

    workers = check_workers(1 if workers is None else workers)
    if scheduler is not None:
        if not isinstance(scheduler, str) or not scheduler.strip():
            raise ValueError(f"scheduler must be 'synchronous' or a Dask address like 'tcp://host:8786', got {scheduler!r}")
        scheduler = scheduler.strip()
        if scheduler != SYNCHRONOUS:
            _check_address(scheduler)
        if scheduler == SYNCHRONOUS:
            if workers > 1:
                raise ValueError(f"scheduler='synchronous' runs in this process: workers must be 1, got {workers}")
            scheduler = None
        elif workers > 1:
            raise ValueError(
                f"give either workers={workers} (a local cluster) or scheduler={scheduler!r} (an existing cluster), not both"
            )
    from .._checks import check_in_range

    timeout = check_in_range("connect_timeout", connect_timeout, 0.0, 3600.0, low_inclusive=False)
    return workers, scheduler, timeout


def _check_address(address: str) -> None:
    """Parse ``address`` with Dask's own parser (``protocol://host:port``); ``ValueError`` if it is not one."""
    from distributed.comm.addressing import parse_address, parse_host_port

    hint = ("expected 'synchronous' or protocol://host:port (protocol " + ", ".join(_PROTOCOLS)
            + "), e.g. tcp://127.0.0.1:8786")
    try:
        scheme, loc = parse_address(address, strict=True)
        if scheme not in _PROTOCOLS:
            raise ValueError(f"unknown protocol {scheme!r}")
        if scheme in ("tcp", "tls", "ws", "wss", "ucx"):
            host, port = parse_host_port(loc)
            if not host or not 0 < int(port) < 65536:
                raise ValueError(f"port {port!r}")
    except (ValueError, TypeError) as err:
        raise ValueError(f"scheduler address {address!r} is not valid ({err}): {hint}") from None


def _probe_scheduler(address: str, timeout: float) -> None:
    """Open a Dask comm to ``address`` and ask for its identity, all within ``timeout`` seconds.

    ``distributed.comm.connect`` bounds the TCP connection by its timeout but then waits for the peer's
    handshake without one (a port that accepts and never answers hangs forever), and reads an HTTP reply
    as a frame length (MemoryError). Here the whole exchange runs under one ``asyncio.wait_for`` deadline
    in a helper thread; every failure becomes one ``OSError`` line.
    """
    import asyncio

    from distributed.comm import connect as comm_connect

    outcome: dict[str, object] = {}

    async def identify():
        comm = await comm_connect(address, timeout=timeout)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    def run() -> None:
        try:
            outcome["reply"] = asyncio.run(asyncio.wait_for(identify(), timeout))
        except BaseException as err:  # noqa: BLE001 - reported to the caller as one line
            outcome["error"] = err

    thread = threading.Thread(target=run, name="kinmix-dask-probe", daemon=True)
    thread.start()
    thread.join(timeout + 2.0)
    hint = "check the address or use --workers N for a local cluster"
    err = outcome.get("error")
    if thread.is_alive() or isinstance(err, (asyncio.TimeoutError, TimeoutError)):
        raise OSError(f"cannot connect to the Dask scheduler {address!r} within {timeout:g} s (no answer); {hint}")
    if err is not None:
        if isinstance(err, OSError):
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise OSError(f"cannot connect to the Dask scheduler {address!r} within {timeout:g} s ({reason}); {hint}")
        raise OSError(
            f"{address!r} does not answer like a Dask scheduler ({type(err).__name__}: {str(err).splitlines()[0][:80] if str(err) else ''}); {hint}"
        )
    reply = outcome.get("reply")
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        kind = reply.get("type") if isinstance(reply, dict) else type(reply).__name__
        raise OSError(f"{address!r} answers but is not a Dask scheduler (identity {kind!r}); {hint}")


def blas_single_thread():
    """Context manager pinning BLAS/OpenMP pools to one thread (threadpoolctl), in any process.

    In-process scans used multi-threaded BLAS and Dask workers one thread, so ``--workers 1`` and
    ``--workers 2`` differed in the last digits; pinning every computation to one thread makes the
    summation order, and so every bit, independent of where a chunk runs.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def pinned_blas(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: run ``fn`` under :func:`blas_single_thread` (its numbers then do not depend on the caller's threads)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with blas_single_thread():
            return fn(*args, **kwargs)

    return wrapper


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
        import dask

        _probe_scheduler(scheduler, timeout)
        try:
            with dask.config.set({"distributed.comm.timeouts.connect": f"{timeout}s", "distributed.comm.timeouts.tcp": f"{timeout}s"}):
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
