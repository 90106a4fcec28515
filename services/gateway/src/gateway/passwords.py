"""Password hashing with argon2id at OWASP's recommended cost (19 MiB memory, 2 passes, 1 lane).

argon2 is slow on purpose, so it runs in a few threads of its own, never on the event loop: a flood of
sign-ins must not stall every other request. Sign-ins also take a turn first, and when too many are
already waiting they are refused at once instead of queueing without end.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gateway.i18n import N_

MIN_LENGTH = 12

HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)
# Verified against when the account does not exist, so a wrong e-mail takes as long as a wrong password.
_DUMMY_HASH = HASHER.hash("not a real password, only for timing")

# Two hashes at a time (about 40 MiB) leave the processor to the rest of the gateway; 30 more may wait.
RUNNING = 2
WAITING = 30
_THREADS = ThreadPoolExecutor(max_workers=RUNNING, thread_name_prefix="argon2")
# A threading semaphore, not an asyncio one: turns are shared by every event loop of the process.
_TURNS = threading.BoundedSemaphore(RUNNING + WAITING)


class Busy(Exception):
    """Too many password checks are already waiting: the person should try again in a moment."""


@contextmanager
def turn() -> Iterator[None]:
    """Holds one of the limited places for a password check, or raises Busy at once when none is free."""
    if not _TURNS.acquire(blocking=False):
        raise Busy()
    try:
        yield
    finally:
        _TURNS.release()


async def verify(stored: str | None, password: str) -> bool:
    """`verify_password` in the hashing threads."""
    return await asyncio.get_running_loop().run_in_executor(_THREADS, verify_password, stored, password)


async def hashed(password: str) -> str:
    """`hash_password` in the hashing threads."""
    return await asyncio.get_running_loop().run_in_executor(_THREADS, hash_password, password)


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return HASHER.check_needs_rehash(stored)


def weakness(password: str) -> str | None:
    """Why a new password is not good enough (a message id), or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return N_("Lösenordet måste ha minst 12 tecken.")
    if len(set(password)) < 5:
        return N_("Lösenordet är för enkelt. Använd fler olika tecken.")
    return None
