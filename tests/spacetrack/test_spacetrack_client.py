"""The space-track client against the fake server over real TLS: the session and every fault."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme

from fake_spacetrack import GP_QUERY, LOGIN, LOGOUT, FakeSpaceTrack, running_fake, write_ca_file
from satveto.spacetrack import (
    RequestBudget,
    RequestBudgetExhausted,
    SpacetrackBadResponse,
    SpacetrackClient,
    SpacetrackError,
    SpacetrackLoginFailed,
    SpacetrackRateLimited,
    SpacetrackServerError,
    SpacetrackTimeout,
    SpacetrackTlsError,
    SpacetrackTooLarge,
)
from satveto.spacetrack.credentials import Credentials
from satveto.spacetrack.fetch import parse_gp_body


@pytest.fixture
async def fake(tls_files: tuple[Path, Path]) -> AsyncIterator[FakeSpaceTrack]:
    async with running_fake(tls_files, count=50, slow_s=3.0) as server:
        yield server


@pytest.fixture
def ca_file(tls_ca: trustme.CA, tmp_path: Path) -> Path:
    return write_ca_file(tls_ca, tmp_path)


def client_for(
    fake: FakeSpaceTrack, ca_file: Path | None, password: str | None = None, **kwargs: object
) -> SpacetrackClient:
    credentials = Credentials(fake.identity, password or fake.password)
    return SpacetrackClient(
        fake.base_url,
        credentials,
        ca_file=ca_file,
        timeout_s=kwargs.pop("timeout_s", 2.0),
        **kwargs,
    )


async def test_fetch_logs_in_queries_and_logs_out(fake: FakeSpaceTrack, ca_file: Path) -> None:
    records = await client_for(fake, ca_file).fetch_gp()
    assert len(records) == 50
    assert all(isinstance(value, str | None) for value in records[0].values())
    assert fake.requests == {LOGIN: 1, GP_QUERY: 1, LOGOUT: 1}
    assert fake.bad_forms == 0


async def test_wrong_password_is_a_login_failure_and_nothing_else_is_sent(
    fake: FakeSpaceTrack, ca_file: Path
) -> None:
    with pytest.raises(SpacetrackLoginFailed):
        await client_for(fake, ca_file, password="not-the-password").fetch_gp()
    assert fake.requests == {LOGIN: 1}


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("401", SpacetrackLoginFailed),
        ("429", SpacetrackRateLimited),
        ("500", SpacetrackServerError),
        ("html", SpacetrackBadResponse),
        ("truncated", SpacetrackBadResponse),
        ("slow", SpacetrackTimeout),
    ],
)
async def test_query_faults_raise_and_still_log_out(
    fake: FakeSpaceTrack, ca_file: Path, fault: str, error: type[SpacetrackError]
) -> None:
    fake.fault = fault
    timeout = 0.5 if fault == "slow" else 2.0
    with pytest.raises(error) as raised:
        await client_for(fake, ca_file, timeout_s=timeout).fetch_gp()
    assert type(raised.value) is error
    assert fake.requests[LOGIN] == 1
    assert fake.requests[GP_QUERY] == 1
    assert fake.requests[LOGOUT] == 1
    if fault == "429":
        assert raised.value.retry_after_s == 2.0


async def test_login_server_error(fake: FakeSpaceTrack, ca_file: Path) -> None:
    fake.fault = "login_500"
    with pytest.raises(SpacetrackServerError):
        await client_for(fake, ca_file).fetch_gp()
    assert fake.requests == {LOGIN: 1}


async def test_body_over_the_cap_is_refused(fake: FakeSpaceTrack, ca_file: Path) -> None:
    with pytest.raises(SpacetrackTooLarge):
        await client_for(fake, ca_file, max_body_bytes=4096).fetch_gp()


async def test_server_not_signed_by_a_trusted_ca_is_refused(fake: FakeSpaceTrack) -> None:
    # Without spacetrack.ca_file only the system store is trusted; the test CA is not in it.
    with pytest.raises(SpacetrackTlsError):
        await client_for(fake, None).fetch_gp()
    assert fake.total == 0  # the handshake failed before any request, password included


async def test_budget_refuses_a_fetch_it_cannot_cover_before_sending_anything(
    fake: FakeSpaceTrack, ca_file: Path
) -> None:
    client = client_for(fake, ca_file, budget=RequestBudget(limits=((5, 60.0),)))
    await client.fetch_gp()
    with pytest.raises(RequestBudgetExhausted) as refused:
        await client.fetch_gp()
    assert refused.value.retry_after_s is not None
    assert refused.value.retry_after_s > 50
    assert fake.total == 3


def test_plain_http_is_refused() -> None:
    with pytest.raises(ValueError, match="https"):
        SpacetrackClient("http://www.space-track.org", Credentials("a", "b"))


@pytest.mark.parametrize(
    "body",
    [b"<html><body>down</body></html>", b'{"error": "x"}', b'[{"a": "1"}', b'"text"', b""],
)
def test_bodies_that_are_not_a_json_list_are_bad_responses(body: bytes) -> None:
    with pytest.raises(SpacetrackBadResponse) as raised:
        parse_gp_body(body)
    assert "down" not in str(raised.value)  # the body is never quoted


def test_a_json_list_is_returned_as_is() -> None:
    assert parse_gp_body(b' [{"NORAD_CAT_ID": "25544"}]') == [{"NORAD_CAT_ID": "25544"}]
