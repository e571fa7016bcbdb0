"""One build of a review at a time: a lock file per review, ``data/processed/.locks/<id>.lock``.

A second ``build``, ``validate``, ``notebook`` or ``render`` of the same review
while one runs refuses at once with a clear message (it does not wait, so a
scheduled job never hangs behind a stuck one). The lock is an OS file lock
(``filelock``): it is released when the process ends, even by ``kill -9``.
"""
from __future__ import annotations

from contextlib import contextmanager

from filelock import FileLock, Timeout

from pipeline.paths import PROCESSED_DIR, inside

LOCK_DIR = PROCESSED_DIR / ".locks"


class Busy(RuntimeError):
    """Another process holds the review's lock."""


@contextmanager
def review_lock(review_id: str, wait: float = 0):
    """Hold the review's lock for the block; raise Busy if another process holds it."""
    path = inside(LOCK_DIR / f"{review_id}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path), timeout=wait)
    try:
        lock.acquire()
    except Timeout:
        raise Busy(f"another build of review {review_id!r} is running (lock {path.name} in "
                   "data/processed/.locks/): wait for it to finish, then run the command again") from None
    try:
        yield
    finally:
        lock.release()
