"""Fuzzing of the engine's RPC decoding and parameter validation (``make test``: short).

Two fuzzers, the same seeds (reliability.fuzz_seeds: protocol/vectors requests and pipelines
that drive the visit paths) and the same fixed catalog of seven synthetic objects:

* libFuzzer on engine/fuzz/rpc_fuzz.cpp (MessageFramer + Dispatcher with every method, under
  ASan and UBSan), when its binary has been built by ``make fuzz`` (``build/fuzz``, or
  ``$SATVETO_FUZZ_BINARY``): a few seconds here, minutes in ``make fuzz``;
* a deterministic mutation fuzzer in Python against the real engine's socket (always): the
  seeds' messages decoded and mutated structurally (values replaced by hostile ones, keys
  dropped or added, arrays grown, nesting deepened) or byte by byte (flips, insertions,
  truncations, splices), one connection per input.

Every response must be one well-formed ``[1, msgid, error, result]`` with a known error code and
never ``internal``; the engine must stay up and answer a ping after every batch.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import msgpack
import pytest

from reliability.fuzz_seeds import LOAD_CATALOG, REPO, filter_params, seeds, write_corpus
from reliability.scale import report, scaled
from reliability.stack import LoggedEngine
from support import BlockingEngineClient

pytest_plugins = ["test_api_fixtures"]  # socket_dir

KNOWN_CODES = {
    "invalid_request",
    "unknown_method",
    "invalid_params",
    "message_too_large",
    "no_catalog",
    "unknown_visit",
    "visit_conflict",
    "resource_exhausted",
    "disclosure_budget_exhausted",  # filter_sources once the answers revealed the hour's budget
}
HOSTILE: list[Any] = [
    None,
    True,
    -1,
    0,
    2**32,
    2**63,
    2**64 - 1,
    -(2**63),
    1e308,
    -1e308,
    float("nan"),
    float("inf"),
    5e-324,
    "",
    "x" * 300,
    b"\x00\xff",
    [],
    {},
    [1, 2, 3],
    [[0, 0, 0, 0]],
    {"": 1},
    {1: 2},
    61041.0,
    360.0,
    -90.0,
    94,
    189,
    4096,
]
MAX_MESSAGE_BYTES = 1 << 20
SEED = 20261121


def mutate_value(rng: random.Random, value: Any, depth: int = 0) -> Any:
    """A copy of `value` with one node somewhere replaced, removed, grown or nested."""
    if isinstance(value, dict) and value and rng.random() < 0.8:
        key = rng.choice(list(value))
        out = dict(value)
        roll = rng.random()
        if roll < 0.15:
            del out[key]
        elif roll < 0.25:
            out[rng.choice(["extra", "visit", "wcs", "ids", key + "x"])] = rng.choice(HOSTILE)
        else:
            out[key] = mutate_value(rng, value[key], depth + 1)
        return out
    if isinstance(value, list) and value and rng.random() < 0.8:
        out = list(value)
        roll = rng.random()
        if roll < 0.1:
            out = out * rng.randint(2, 50)  # duplicates ids, grows arrays
        elif roll < 0.2:
            out.pop(rng.randrange(len(out)))
        else:
            index = rng.randrange(len(out))
            out[index] = mutate_value(rng, out[index], depth + 1)
        return out
    roll = rng.random()
    if roll < 0.05:
        nested: Any = value
        for _ in range(rng.randint(30, 40)):
            nested = [nested]
        return nested
    if isinstance(value, int | float) and not isinstance(value, bool) and roll < 0.5:
        return rng.choice([value + 1, value - 1, -value, value * 1e6, value / 3, int(value)])
    return rng.choice(HOSTILE)


def mutate(rng: random.Random, corpus: list[bytes]) -> bytes:
    data = rng.choice(corpus)
    if rng.random() < 0.6:
        unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
        unpacker.feed(data)
        messages = list(unpacker)
        index = rng.randrange(len(messages))
        messages[index] = mutate_value(rng, messages[index])
        try:
            return b"".join(msgpack.packb(m, use_bin_type=True) for m in messages)
        except (OverflowError, ValueError, TypeError):
            return data
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        roll = rng.random()
        position = rng.randrange(len(out) + 1)
        if roll < 0.4 and out:
            out[min(position, len(out) - 1)] ^= 1 << rng.randrange(8)
        elif roll < 0.6:
            out[position:position] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif roll < 0.75:
            del out[position:]
        elif roll < 0.9:
            other = rng.choice(corpus)
            cut = rng.randrange(len(other) + 1)
            out[position:] = other[cut:]
        else:
            out[position:position] = rng.choice([b"\xc1", b"\xdd\xff\xff\xff\xff", b"\xdb\x7f"])
    return bytes(out)


def check_response(response: Any, problems: Counter[str], codes: Counter[str]) -> None:
    if not (isinstance(response, list) and len(response) == 4 and response[0] == 1):
        problems["malformed envelope"] += 1
        return
    _, msgid, error, result = response
    if msgid is not None and not isinstance(msgid, int):
        problems["msgid neither int nor nil"] += 1
    if (error is None) == (result is None) and not (error is None and result is None):
        problems["both or neither of error and result"] += 1
    if error is None:
        codes["ok"] += 1
        return
    if not (isinstance(error, dict) and isinstance(error.get("message"), str)):
        problems["error without a message"] += 1
        return
    code = error.get("code")
    codes[str(code)] += 1
    if code not in KNOWN_CODES:
        problems[f"error code {code!r}"] += 1


def texts(value: Any, invalid: list[bytes]) -> Any:
    """`value` unpacked with raw=True, its byte strings decoded; invalid UTF-8 is collected."""
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            invalid.append(value)
            return value.decode(errors="replace")
    if isinstance(value, list):
        return [texts(v, invalid) for v in value]
    if isinstance(value, dict):
        return {texts(k, invalid): texts(v, invalid) for k, v in value.items()}
    return value


def exchange(socket_path: Path, data: bytes, invalid: list[bytes] | None = None) -> list[Any]:
    """One connection: send, half-close, read every response until the engine closes.
    Strings that are not valid UTF-8 are decoded with replacement and added to `invalid`."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(str(socket_path))
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        unpacker = msgpack.Unpacker(raw=True, strict_map_key=False)
        while True:
            try:
                chunk = sock.recv(1 << 16)
            except ConnectionResetError:
                break
            if not chunk:
                break
            unpacker.feed(chunk)
        return [texts(message, [] if invalid is None else invalid) for message in unpacker]


def test_python_mutation_fuzzer_against_the_engine_socket(socket_dir: Path, tmp_path: Path) -> None:
    engine = LoggedEngine(
        socket_dir / "e.sock",
        tmp_path / "engine.log",
        ["--max-message-bytes", str(MAX_MESSAGE_BYTES), "--visit-cache-size", "4"],
    )
    engine.start()
    asyncio.run(engine.wait_ready())
    budget_s, max_inputs = scaled((10.0, 10_000), (600.0, 1_000_000))
    rng = random.Random(SEED)
    corpus = list(seeds().values())
    problems: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    inputs = responses = 0
    invalid_utf8: list[bytes] = []
    try:
        control = BlockingEngineClient(engine.socket_path)
        control.call("load_catalog", LOAD_CATALOG)
        # The seeds reach the veto: the pipeline on the GEO track vetoes some sources.
        answers = exchange(engine.socket_path, seeds()["visit_then_wcs_filter"])
        assert answers[1][2] is None
        allowed = answers[1][3]["allowed"]
        assert 0 < len(allowed) < len(filter_params()["ids"])
        started = time.monotonic()
        while inputs < max_inputs and time.monotonic() - started < budget_s:
            data = mutate(rng, corpus)
            for response in exchange(engine.socket_path, data, invalid_utf8):
                responses += 1
                check_response(response, problems, codes)
            inputs += 1
            if inputs % 200 == 0:
                assert engine.process is not None
                assert engine.process.poll() is None, "the engine died"
                control.call("ping")
                control.call("load_catalog", LOAD_CATALOG)  # undo a fuzzed load_catalog
        stats = control.call("stats")["connections"]
        control.close()
        assert engine.process is not None
        alive = engine.process.poll() is None
    finally:
        status = engine.stop()
    report(
        f"Python mutation fuzzer on the engine socket (seed {SEED})",
        [
            f"{inputs} inputs, {responses} responses in {time.monotonic() - started:.1f} s; "
            f"engine protocol errors (connections closed): {stats['protocol_errors']}",
            f"answers by code: {dict(codes.most_common())}",
            f"problems: {dict(problems) or 'none'}; GEO pipeline allowed {len(allowed)} ids",
            f"strings in answers that are not UTF-8 (echoed request bytes; known finding, see "
            f"test_error_messages_are_valid_utf8): {len(invalid_utf8)}",
        ],
    )
    assert alive
    assert status == 0
    assert problems == Counter()
    assert codes["ok"] > 0
    assert codes["invalid_params"] > 0


def fuzz_binary() -> Path | None:
    override = os.environ.get("SATVETO_FUZZ_BINARY")
    path = Path(override) if override else REPO / "build" / "fuzz" / "satveto-rpc-fuzz"
    return path if path.is_file() and os.access(path, os.X_OK) else None


@pytest.mark.skipif(fuzz_binary() is None, reason="libFuzzer target not built (make fuzz)")
def test_libfuzzer_rpc_target(tmp_path: Path) -> None:
    binary = fuzz_binary()
    assert binary is not None
    seeds_dir, corpus = tmp_path / "seeds", tmp_path / "corpus"
    write_corpus(seeds_dir)
    corpus.mkdir()
    seconds = scaled(5, 120)  # make fuzz runs it longer on its own
    result = subprocess.run(
        [
            str(binary),
            f"-max_total_time={seconds}",
            f"-seed={SEED}",
            "-max_len=65536",
            "-rss_limit_mb=2048",
            "-timeout=30",
            f"-artifact_prefix={tmp_path}/",
            str(corpus),
            str(seeds_dir),
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
    )
    done = [line for line in result.stderr.splitlines() if line.startswith("Done")]
    report("libFuzzer rpc_fuzz", [*(done or result.stderr.splitlines()[-3:])])
    assert result.returncode == 0, result.stderr[-3000:]


def test_error_messages_are_valid_utf8(engine_socket: Path) -> None:
    method = ("é" * 40).encode()  # 80 bytes: the cut at 64 bytes falls inside a character
    requests = [
        b"\x94\x00\x01\xd9" + bytes([len(method)]) + method + b"\x80",  # [0, 1, method, {}]
        b"\x94\x00\x02\xa4ping\x81\xa2\xff\xfe\x01",  # ping {"\xff\xfe": 1}
    ]
    for request in requests:
        invalid: list[bytes] = []
        answers = exchange(engine_socket, request, invalid)
        assert answers
        assert answers[0][2]["code"] in KNOWN_CODES
        assert invalid == []
