"""Training runs its BLAS on one thread per task: the parallelism is ours, not OpenBLAS's.

The cascade trains with two Python threads (the sentence encoder on one, the n-gram model's
solver on the other; then the embedding stage's two fits), so a second BLAS thread per task only
oversubscribes two cores. On a shared machine it is far worse than that: OpenBLAS's threads
spin-wait for each other, and when the other core is busy a product waits for a thread that is
not running. Measured on this project's 2-core machine at load average 19, encoding 192
BANKING77 questions: 16.6 s wall / 2.3 s CPU on one BLAS thread, 74–87 s wall / 3.7–4.0 s CPU on
two (bench/README.md, "Training cost"). Serving already stays on one thread
(``bot.nlu.encoder.minilm.pin_blas_to_one_thread``).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any


def one_blas_thread() -> AbstractContextManager[Any]:
    """A context in which the process's BLAS uses one thread (restored afterwards)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")
