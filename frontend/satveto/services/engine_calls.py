"""Engine calls as the services make them: timed and counted for the metrics."""

from __future__ import annotations

import time
from typing import Any

from satveto.engine.rpc import EngineClient, EngineError, EngineRpcError
from satveto.runtime.metrics import Metrics


async def timed_call(
    engine: EngineClient, metrics: Metrics, method: str, params: dict[str, Any]
) -> Any:
    """An engine call that feeds the RPC latency histogram and the failure counter."""
    started = time.perf_counter()
    try:
        return await engine.call(method, params)
    except EngineRpcError as error:
        metrics.engine_rpc_failures.labels(method, error.code).inc()
        raise
    except EngineError:
        metrics.engine_rpc_failures.labels(method, "unavailable").inc()
        raise
    finally:
        metrics.engine_rpc_latency.labels(method).observe(time.perf_counter() - started)
