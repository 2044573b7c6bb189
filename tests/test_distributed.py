"""Scans on a real Dask LocalCluster (2 worker processes, 1 thread each) give the serial result bit for
bit (dark photon, a Z' model, and pyhf's engine on a worker); the likelihood travels to each worker once; bad
execution options fail fast with clear errors.

Every test that needs a cluster is here and shares one (``dask_client``): starting one costs ~6 s of CPU (each
worker imports the package), and an idle one keeps using CPU, so it lives only while this module runs.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

import kinmix_stats as km
from kinmix_stats.likelihood.limits import default_likelihood
from kinmix_stats.model import ModelSpec
from kinmix_stats.scan import scan
from kinmix_stats.scan.parallel import check_execution, connect, run_tasks

MASSES = np.geomspace(2.0, 600.0, 8)


@pytest.fixture(scope="module")
def like():
    return default_likelihood()


@pytest.fixture(scope="module")
def dask_client():
    conn = connect(workers=2)
    try:
        yield conn.client
    finally:
        conn.close()


def test_synchronous_modes_agree(like):
    """In-process (workers=1) and Dask's synchronous scheduler give the same bits for the same chunking.

    Across chunk sizes the batched profile fits run BLAS kernels on differently shaped matrices, whose
    summation order (and so the last bit) may differ with the numpy/OpenBLAS build; there the limits
    must agree to rounding, not bit for bit.
    """
    a = scan(MASSES[:3], "narrow", ("cls",), likelihood=like, chunk=1, workers=1)
    b = scan(MASSES[:3], "narrow", ("cls",), likelihood=like, chunk=1, scheduler="synchronous")
    assert a == b
    c = scan(MASSES[:3], "narrow", ("cls",), likelihood=like, chunk=3, workers=1)
    d = scan(MASSES[:3], "narrow", ("cls",), likelihood=like, chunk=3, scheduler="synchronous")
    assert c == d
    assert c.status == a.status
    for col in ("eps95_obs", "eps95_exp_m2", "eps95_exp_m1", "eps95_exp", "eps95_exp_p1", "eps95_exp_p2"):
        np.testing.assert_allclose(getattr(c, col), getattr(a, col), rtol=1e-12, atol=0, err_msg=col)


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"workers": 0}, "workers must be an integer >= 1"),
        ({"workers": -2}, "workers must be an integer >= 1"),
        ({"workers": 1.5}, "workers must be an integer"),
        ({"workers": True}, "workers must be an integer"),
        ({"scheduler": "localhost:8786"}, "not valid"),
        ({"scheduler": ""}, "scheduler must be"),
        ({"scheduler": "tcp://127.0.0.1:8786", "workers": 2}, "not both"),
        ({"scheduler": "synchronous", "workers": 2}, "workers must be 1"),
        ({"connect_timeout": 0.0}, "connect_timeout"),
        ({"connect_timeout": float("nan")}, "connect_timeout"),
    ],
)
def test_bad_execution_options(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        check_execution(**kwargs)


def test_unreachable_scheduler_fails_fast(like):
    t0 = time.perf_counter()
    with pytest.raises(OSError, match=r"cannot connect to the Dask scheduler 'tcp://127\.0\.0\.1:9' within 1 s"):
        scan(MASSES[:2], "narrow", ("cls",), likelihood=like, scheduler="tcp://127.0.0.1:9", connect_timeout=1.0)
    assert time.perf_counter() - t0 < 15.0


# ------------------------------------------------------- on one real cluster (last: it is stopped after them)
def test_local_cluster_scan_equals_serial_bit_for_bit(like, dask_client):
    assert len(dask_client.scheduler_info()["workers"]) == 2
    serial = scan(MASSES, "wide", ("cls", "chi2"), likelihood=like, chunk=2)
    parallel = scan(MASSES, "wide", ("cls", "chi2"), likelihood=like, chunk=2, client=dask_client)
    assert parallel == serial  # every column (array_equal, NaN == NaN), status and metadata
    for c in ("eps95_obs", "eps95_exp_m2", "eps95_exp_p2", "eps95_chi2"):
        assert getattr(parallel, c).tobytes() == getattr(serial, c).tobytes(), c
    assert parallel.metadata["epsilon_ref_observed"] == serial.metadata["epsilon_ref_observed"]
    # the scattered likelihood and the results are released: nothing is left on the cluster
    assert not any(dask_client.who_has().values())


def test_shared_object_is_sent_once_per_worker(dask_client):
    shared = np.arange(200_000, dtype=float)  # 1.6 MB
    out = dict(run_tasks(lambda s, i: (os.getpid(), id(s), float(s[i])), shared, [(i, (i,)) for i in range(16)], client=dask_client))
    assert sorted(out) == list(range(16))
    assert all(out[i][2] == float(i) for i in range(16))
    ids_per_pid: dict[int, set[int]] = {}
    for pid, ident, _ in out.values():
        ids_per_pid.setdefault(pid, set()).add(ident)
    assert os.getpid() not in ids_per_pid  # ran in the worker processes
    # every task on a worker saw the same object: deserialised once, not once per task
    assert all(len(ids) == 1 for ids in ids_per_pid.values()), ids_per_pid


def test_model_scan_equals_serial(dask_client):
    like = ModelSpec("eta").likelihood()
    masses = [250.0, 1500.0]
    serial = scan(masses, "narrow", ("cls",), likelihood=like, model="eta", chunk=1)
    parallel = scan(masses, "narrow", ("cls",), likelihood=like, model="eta", chunk=1, client=dask_client)
    assert parallel == serial and parallel.coupling == "g_z"


def test_pyhf_scan_on_dask_workers_equals_in_process(dask_client):
    """scan(method="pyhf") runs pyhf on a Dask worker and gives the in-process number (and records the engine)."""
    like = km.PrecisionLikelihood(datasets=["pdg2024_mz", "w_mass", "lep_zpole_lineshape", "sld_lepton_asymmetries"])
    local = km.upper_limit([150.0], "wide", method="pyhf", likelihood=like)
    dask = km.scan(np.array([150.0]), "wide", methods=("pyhf",), likelihood=like, client=dask_client)
    assert local.status == ("ok",) and dask.status == ("ok",)
    np.testing.assert_allclose(dask.eps95_obs, local.epsilon_observed, rtol=1e-9)
    fast = km.upper_limit([150.0], "wide", likelihood=like)
    np.testing.assert_allclose(local.epsilon_observed, fast.epsilon_observed, rtol=5e-3)
    assert dask.metadata["engines"]["pyhf"]["optimizer"].startswith("pyhf minuit_optimizer")
    assert local.engine == dask.metadata["engines"]["pyhf"]
    assert set(dask.metadata["versions"]) == {"numpy", "scipy", "pyhf", "iminuit"}
