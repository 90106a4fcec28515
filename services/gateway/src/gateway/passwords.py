"""Password hashing with argon2id at OWASP's recommended cost (19 MiB memory, 2 passes, 1 lane)."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gateway.i18n import N_

MIN_LENGTH = 12

HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)
# Verified against when the account does not exist, so a wrong e-mail takes as long as a wrong password.
_DUMMY_HASH = HASHER.hash("not a real password, only for timing")


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
