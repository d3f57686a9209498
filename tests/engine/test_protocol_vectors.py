"""The golden vectors: twin and bytes agree, the client decodes them, the engine matches."""

from __future__ import annotations

import json
from pathlib import Path

import msgpack
import pytest

from satveto.engine.rpc import EngineRpcError, _result_of
from support import BlockingEngineClient

PROTOCOL = Path(__file__).resolve().parents[2] / "protocol"
VECTORS = json.loads((PROTOCOL / "vectors.json").read_text())["vectors"]
NAMES = [vector["name"] for vector in VECTORS]


def _load_make_vectors():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_vectors", PROTOCOL / "make_vectors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_vectors = _load_make_vectors()


@pytest.mark.parametrize("vector", VECTORS, ids=NAMES)
def test_bytes_and_readable_twin_agree(vector: dict) -> None:
    for part in ("request", "response"):
        data = (PROTOCOL / "vectors" / f"{vector['name']}.{part}.msgpack").read_bytes()
        assert make_vectors.encode(vector[part]) == data
        assert msgpack.unpackb(data, raw=False, strict_map_key=False) == vector[part]


def test_engine_exact_list_matches_twin() -> None:
    listed = (PROTOCOL / "vectors" / "engine_exact.txt").read_text().split()
    assert listed == sorted(v["name"] for v in VECTORS if v["engine_exact"])
    assert len(listed) >= 5


@pytest.mark.parametrize("vector", VECTORS, ids=NAMES)
def test_frontend_client_decodes_every_response(vector: dict) -> None:
    response = msgpack.unpackb(
        (PROTOCOL / "vectors" / f"{vector['name']}.response.msgpack").read_bytes(), raw=False
    )
    msgid = vector["response"][1]
    if vector["response"][2] is None:
        assert _result_of(response, msgid) == vector["response"][3]
    else:
        with pytest.raises(EngineRpcError) as error:
            _result_of(response, msgid)
        assert error.value.code == vector["response"][2]["code"]


@pytest.mark.parametrize(
    "vector",
    [v for v in VECTORS if v["engine_exact"]],
    ids=[v["name"] for v in VECTORS if v["engine_exact"]],
)
def test_engine_answers_exact_vectors_byte_for_byte(
    vector: dict, engine_rpc: BlockingEngineClient
) -> None:
    request = (PROTOCOL / "vectors" / f"{vector['name']}.request.msgpack").read_bytes()
    expected = (PROTOCOL / "vectors" / f"{vector['name']}.response.msgpack").read_bytes()
    engine_rpc.send_raw(request)
    assert make_vectors.encode(engine_rpc.receive()) == expected


def test_engine_ping_matches_the_golden_shape(engine_rpc: BlockingEngineClient) -> None:
    golden = next(v for v in VECTORS if v["name"] == "ping")["response"][3]
    live = engine_rpc.call("ping")
    assert set(live) == set(golden)
    assert {k: type(v) for k, v in live.items() if k != "uptime_s"} == {
        k: type(v) for k, v in golden.items() if k != "uptime_s"
    }
