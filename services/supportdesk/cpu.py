"""One BLAS thread for the desk's own arithmetic.

numpy's OpenBLAS starts a thread per core and leaves them spinning for a while after each
call. The desk's products are small and per request (one query against a few thousand
rows: under a millisecond on one core), so a second BLAS thread gains nothing and competes
with the embedding model's threads for the same two cores. On DSTC11, retrieval p95
(embedding included, `supportdesk eval retrieval`) fell from 30 ms to 13 ms with one BLAS
thread.
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits


def single_threaded_blas() -> None:
    """For the whole process; ONNX Runtime and torch keep their own thread settings."""
    threadpool_limits(limits=1, user_api="blas")
