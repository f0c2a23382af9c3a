"""Encryption at rest for secrets (provider tokens, webhook secrets, keys).

Keys come from `OXY_ENCRYPTION_KEYS` (Fernet keys, newest first). Decryption
tries every key, encryption uses the first, so a key is rotated by putting a
new one in front and running `manage.py rotate_encryption_key`.
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


class SecretDecryptionError(Exception):
    """A stored secret cannot be read with any configured key."""


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "OXY_ENCRYPTION_KEYS is empty: generate one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
        )
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current_fernet() -> MultiFernet:
    return _fernet(tuple(settings.OXY_ENCRYPTION_KEYS))


def secret_encrypt(plaintext: str) -> str:
    return _current_fernet().encrypt(plaintext.encode()).decode()


def secret_decrypt(token: str) -> str:
    try:
        return _current_fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretDecryptionError("stored secret cannot be decrypted with the configured keys") from exc


def secret_reencrypt(token: str) -> str:
    """Re-encrypt a stored token under the newest key (a no-op for the reader)."""
    return _current_fernet().rotate(token.encode()).decode()


class EncryptedTextField(models.TextField):
    """A text column stored as a Fernet token; Python code only sees plaintext."""

    def from_db_value(self, value: str | None, expression, connection) -> str | None:
        return None if value is None else secret_decrypt(value)

    def get_prep_value(self, value: str | None) -> str | None:
        value = super().get_prep_value(value)
        return None if value is None else secret_encrypt(value)
