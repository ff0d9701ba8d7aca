"""Peak Python memory of a block, by tracemalloc.

A process's resident high-water mark (ru_maxrss) can pass vacuously: once an
earlier test has pushed it up, a later test's growth hides under it. tracemalloc
counts this block's allocations only, from a peak reset at its start.
"""

import tracemalloc
from contextlib import contextmanager


class Peak:
    bytes = 0

    @property
    def mib(self) -> float:
        return self.bytes / 2**20


@contextmanager
def peak_memory():
    """Yield a Peak whose `bytes` is the highest traced allocation in the block."""
    peak = Peak()
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        yield peak
    finally:
        peak.bytes = tracemalloc.get_traced_memory()[1] - base
        if started:
            tracemalloc.stop()
