"""Prometheus metrics of the frontend (served at GET /metrics).

One registry per application, so tests can build several apps in one process.  Metrics carry
operational counts and timings only: no per-visit, per-object or per-source figure, and no
label whose value comes from a request or the catalog.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.http_requests = Counter(
            "satveto_http_requests",
            "HTTP requests by endpoint and status",
            ["endpoint", "status"],
            registry=r,
        )
        self.http_latency = Histogram(
            "satveto_http_request_seconds",
            "HTTP request latency by endpoint",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.engine_rpc_latency = Histogram(
            "satveto_engine_rpc_seconds",
            "Engine RPC latency by method",
            ["method"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.engine_rpc_failures = Counter(
            "satveto_engine_rpc_failures",
            "Engine RPC failures by method and kind",
            ["method", "kind"],
            registry=r,
        )
        self.engine_restarts = Counter(
            "satveto_engine_restarts_detected",
            "Engine restarts noticed (instance_id changed)",
            registry=r,
        )
        self.catalog_age = Gauge(
            "satveto_catalog_age_seconds",
            "Age of the catalog in force, from its fetch time",
            registry=r,
        )
        self.earth_orientation_age = Gauge(
            "satveto_earth_orientation_age_seconds",
            "Age of the last observed (not predicted) IERS UT1 value sent to the engine",
            registry=r,
        )
        self.catalog_objects = Gauge(
            "satveto_catalog_objects", "Objects in the catalog in force", registry=r
        )
        self.catalog_refreshes = Counter(
            "satveto_catalog_refreshes",
            "Catalog refresh attempts by outcome",
            ["outcome"],
            registry=r,
        )
        self.catalog_records_rejected = Counter(
            "satveto_catalog_records_rejected",
            "Catalog records dropped by validation, by reason",
            ["reason"],
            registry=r,
        )
        self.sources_vetoed = Counter(
            "satveto_sources_vetoed", "DIASources withheld from the allow list", registry=r
        )
        self.sources_allowed = Counter(
            "satveto_sources_allowed", "DIASources returned in an allow list", registry=r
        )
