"""Credentials: a private TOML file, refused when group or others may read it, never logged."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from fake_spacetrack import IDENTITY, PASSWORD, running_fake, write_ca_file
from satveto.catalog.sources import build_source
from satveto.engine.rpc import EngineClient
from satveto.runtime.config import (
    CatalogConfig,
    Config,
    ConfigError,
    EngineConfig,
    SpacetrackConfig,
)
from satveto.runtime.logs import JsonFormatter
from satveto.runtime.metrics import Metrics
from satveto.services.catalog import CatalogService
from satveto.services.refresh import CatalogRefresher
from satveto.services.supervision import EngineSupervisor
from satveto.services.visit_registry import VisitRegistry
from satveto.spacetrack.credentials import Credentials, CredentialsError, load_credentials


def write_credentials(path: Path, text: str, mode: int = 0o600) -> Path:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "w") as stream:
        stream.write(text)
    os.chmod(path, mode)  # the umask may have removed bits the test wants
    return path


def good_text(identity: str = IDENTITY, password: str = PASSWORD) -> str:
    return f'identity = "{identity}"\npassword = "{password}"\n'


def test_private_file_is_read(tmp_path: Path) -> None:
    credentials = load_credentials(write_credentials(tmp_path / "st.toml", good_text()))
    assert (credentials.identity, credentials.password) == (IDENTITY, PASSWORD)
    assert PASSWORD not in repr(credentials)
    assert IDENTITY not in str(credentials)
    assert load_credentials(write_credentials(tmp_path / "ro.toml", good_text(), 0o400))


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o620, 0o606])
def test_group_or_other_access_is_refused(tmp_path: Path, mode: int) -> None:
    path = write_credentials(tmp_path / "st.toml", good_text(), mode)
    with pytest.raises(CredentialsError) as refused:
        load_credentials(path)
    message = str(refused.value)
    assert "group or others" in message
    assert f"{mode:04o}" in message
    assert "chmod 600" in message
    assert PASSWORD not in message
    assert IDENTITY not in message
    assert isinstance(refused.value, ConfigError)  # the CLI reports it like any config error


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f'identity = "{IDENTITY}"\n', "password must be a non-empty string"),
        (f'identity = "{IDENTITY}"\npassword = ""\n', "password must be a non-empty string"),
        (f'identity = "{IDENTITY}"\npassword = 12\n', "password must be a non-empty string"),
        (good_text() + f'{PASSWORD[:8].replace("-", "_")} = "x"\n', "keys other than"),
        (f"identity = {IDENTITY}\npassword = {PASSWORD}\n", "not a valid UTF-8 TOML file"),
    ],
)
def test_malformed_files_are_refused_without_quoting_them(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(CredentialsError) as refused:
        load_credentials(write_credentials(tmp_path / "st.toml", text))
    assert expected in str(refused.value)
    assert PASSWORD[:8] not in str(refused.value)
    assert IDENTITY not in str(refused.value)


def test_missing_setting_file_or_directory(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match=r"required when catalog\.source is 'spacetrack'"):
        load_credentials(None)
    with pytest.raises(CredentialsError, match="cannot open"):
        load_credentials(tmp_path / "absent.toml")
    os.chmod(tmp_path, 0o700)
    with pytest.raises(CredentialsError):
        load_credentials(tmp_path)


async def test_refresher_refuses_to_start_with_readable_credentials(
    tmp_path: Path, engine_socket: Path
) -> None:
    path = write_credentials(tmp_path / "st.toml", good_text(), 0o640)
    config = Config(
        engine=EngineConfig(socket=engine_socket),
        catalog=CatalogConfig(source="spacetrack"),
        spacetrack=SpacetrackConfig(credentials_file=path),
    )
    with pytest.raises(CredentialsError):
        build_source(config)
    engine = EngineClient(engine_socket, timeout_s=5.0)
    refresher = CatalogRefresher(config, CatalogService(engine, 0.8), engine, Metrics())
    try:
        with pytest.raises(CredentialsError):
            await refresher.start()
    finally:
        await refresher.stop()
        await engine.close()


class Collect(logging.Handler):
    """Keeps every record, formatted the way production formats it (extras included)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        self.lines.append(repr(vars(record)))


@pytest.fixture
def all_logs() -> Iterator[Collect]:
    root = logging.getLogger()
    handler = Collect()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


async def test_credentials_never_appear_in_logs(
    tmp_path: Path,
    engine_socket: Path,
    tls_files: tuple[Path, Path],
    tls_ca: trustme.CA,
    all_logs: Collect,
) -> None:
    path = write_credentials(tmp_path / "st.toml", good_text())
    async with running_fake(tls_files, count=100) as fake:
        config = Config(
            engine=EngineConfig(socket=engine_socket),
            catalog=CatalogConfig(source="spacetrack"),
            spacetrack=SpacetrackConfig(
                base_url=fake.base_url,
                credentials_file=path,
                ca_file=write_ca_file(tls_ca, tmp_path),
                timeout_s=2.0,
                # Seven refreshes in a row: at five requests each (with the CUI file) they
                # would exceed 30 a minute; this test is about credentials, not CUI.
                include_cui=False,
            ),
        )
        engine = EngineClient(engine_socket, timeout_s=5.0)
        metrics = Metrics()
        catalog = CatalogService(engine, 0.8)
        supervisor = EngineSupervisor(engine, catalog, VisitRegistry(), metrics, 172800.0)
        refresher = CatalogRefresher(config, catalog, metrics, supervisor.status)
        try:
            await refresher.start()  # the engine is empty: this fetches at once
            outcomes = [await refresher.refresh_once()]
            for fault in ("401", "500", "html", "truncated", "small"):
                fake.fault = fault
                outcomes.append(await refresher.refresh_once())
            fake.fault = None
            fake.password = "changed-on-the-server"  # our password is now wrong
            outcomes.append(await refresher.refresh_once())
            await supervisor.poll()  # its log lines too
        finally:
            await refresher.stop()
            await supervisor.stop()
            await engine.close()
    assert outcomes == [
        "ok",
        "login_failed",
        "server_error",
        "bad_response",
        "bad_response",
        "implausible",
        "login_failed",
    ]
    assert len(all_logs.lines) > 10
    text = "\n".join(all_logs.lines)
    for secret in (PASSWORD, IDENTITY, PASSWORD[:10], IDENTITY.split("@")[0]):
        assert secret not in text
    # Nor does catalog content: no object name from the fake's records was logged.
    assert "DEMO-" not in text


def test_credentials_object_is_redacted_in_containers() -> None:
    credentials = Credentials(IDENTITY, PASSWORD)
    assert PASSWORD not in repr([credentials])
    assert PASSWORD not in f"{credentials}"
