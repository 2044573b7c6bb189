"""Shared test configuration.

BLAS threads are limited to one (also set by ``make test``): on the 2-core CI machine competing
OpenBLAS threads made 278x278 factorisations ~100x slower than single-threaded.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
