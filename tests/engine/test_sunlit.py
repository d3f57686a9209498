"""matching.require_sunlit reaches the engine (the shadow geometry itself is tested in C++:
engine/tests/test_shadow.cpp)."""

from __future__ import annotations

import pytest

from satveto.engine.rpc import EngineRpcError
from satveto.runtime.config import Config, MatchingConfig
from satveto.web.app import engine_settings
from support import BlockingEngineClient


def test_the_option_is_sent_with_configure() -> None:
    assert engine_settings(Config())["require_sunlit"] is False
    config = Config(matching=MatchingConfig(require_sunlit=True))
    config.matching.check()  # no longer refused at start
    assert engine_settings(config)["require_sunlit"] is True


def test_the_engine_takes_a_boolean_only(engine_rpc: BlockingEngineClient) -> None:
    assert engine_rpc.call("configure", {"require_sunlit": True}) == {}
    assert engine_rpc.call("configure", {"require_sunlit": False}) == {}
    for bad in ("yes", 1, [True]):  # (nil counts as absent, as everywhere in the protocol)
        with pytest.raises(EngineRpcError) as caught:
            engine_rpc.call("configure", {"require_sunlit": bad})
        assert caught.value.code == "invalid_params"
        assert caught.value.message == "require_sunlit: expected true or false"
