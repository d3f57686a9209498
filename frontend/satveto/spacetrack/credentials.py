"""space-track credentials: a small TOML file on the system disk, private to the service.

The file holds two keys, ``identity`` and ``password``.  It is refused when any permission
bit is set for group or others: a credential file another user could read is already leaked,
and starting anyway would hide that.  The mode is checked on the opened descriptor (fstat),
so the file checked is the file read.

Nothing here ever puts a credential in a message or a repr: errors name the file and the key,
never a value, and :class:`Credentials` prints as redacted.
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from satveto.runtime.config import ConfigError

_MAX_FILE_BYTES = 64 * 1024
_KEYS = ("identity", "password")


class CredentialsError(ConfigError):
    """The credentials file cannot be used; the message names the file and key only."""


@dataclass(frozen=True)
class Credentials:
    identity: str = field(repr=False)
    password: str = field(repr=False)

    def __repr__(self) -> str:
        return "Credentials(<redacted>)"

    __str__ = __repr__


def load_credentials(path: Path | None) -> Credentials:
    """Reads and checks the credentials file; raises CredentialsError with a clear reason."""
    if path is None:
        raise CredentialsError(
            "spacetrack.credentials_file: required when catalog.source is 'spacetrack'"
        )
    where = f"spacetrack.credentials_file: {path}"
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as error:
        raise CredentialsError(f"{where}: cannot open ({error.strerror})") from None
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode):
        os.close(descriptor)
        raise CredentialsError(f"{where}: not a regular file")
    with os.fdopen(descriptor, "rb") as stream:
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            raise CredentialsError(
                f"{where}: permissions {mode:04o} let group or others access it; "
                f"make it private to the service user (chmod 600)"
            )
        data = stream.read(_MAX_FILE_BYTES + 1)
    if len(data) > _MAX_FILE_BYTES:
        raise CredentialsError(f"{where}: larger than {_MAX_FILE_BYTES} bytes")
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        # The parser's message can quote the offending text, which may be the password.
        raise CredentialsError(f"{where}: not a valid UTF-8 TOML file") from None
    if set(document) - set(_KEYS):
        # Not named: a mistyped line could make the password itself a key.
        raise CredentialsError(f"{where}: holds keys other than identity and password")
    values: dict[str, str] = {}
    for key in _KEYS:
        value = document.get(key)
        if not isinstance(value, str) or not value.strip():
            raise CredentialsError(f"{where}: {key} must be a non-empty string")
        values[key] = value
    return Credentials(values["identity"], values["password"])
