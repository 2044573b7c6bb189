"""Shared test configuration.

BLAS threads are limited to one (also set by ``make test``): on the 2-core CI machine competing
OpenBLAS threads made 278x278 factorisations ~100x slower than single-threaded.

Shared data (``tests/shared_data.py``): ``$KINMIX_SHARED`` (else ``<repo>/../shared``) also sets the Darkcast
directory ``$KINMIX_EXTERNAL_LIMITS`` when that is unset; with ``CI`` set, a test skipped because shared data
is missing is reported as a failure.
"""

import os

import pytest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from shared_data import SHARED_DATA, SKIP_PREFIX

if (SHARED_DATA / "limits").is_dir():
    os.environ.setdefault("KINMIX_EXTERNAL_LIMITS", str(SHARED_DATA / "limits"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not (os.environ.get("CI") and report.skipped and isinstance(report.longrepr, tuple)):
        return
    reason = str(report.longrepr[2])
    if SKIP_PREFIX in reason:
        report.outcome = "failed"
        report.longrepr = f"CI must run this test, but {reason.removeprefix('Skipped: ')}"
