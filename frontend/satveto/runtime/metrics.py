"""Prometheus metrics of the frontend (served at GET /metrics).

One registry per application, so tests can build several apps in one process.  Metrics carry
operational counts and timings only: no per-visit, per-object or per-source figure, and no
label whose value comes from a request or the catalog.
"""

from __future__ import annotations

import math
from contextvars import ContextVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.client_labels = ClientLabels()
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
        # Rounded (rounded_size): an exact count would tell a client when one object is added.
        self.catalog_objects = Gauge(
            "satveto_catalog_objects",
            "Objects in the catalog in force, rounded down to two significant figures",
            registry=r,
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
        self.cui_failures = Counter(
            "satveto_cui_failures",
            "Refreshes failed by their CUI element-file part, by outcome",
            ["outcome"],
            registry=r,
        )
        self.historical_fetches = Counter(
            "satveto_historical_catalog_fetches",
            "Historical catalog fetches by outcome",
            ["outcome"],
            registry=r,
        )
        self.historical_catalogs = Gauge(
            "satveto_historical_catalogs",
            "Historical catalogs held in the frontend's memory (and loaded in the engine)",
            registry=r,
        )
        # Per-client counters (docs/design.md "Security model").  No global vetoed/allowed totals:
        # scraped between two requests they would give one detector's answer count.  The client
        # label is the peer address, capped (client_label) so a wide allowlist cannot grow it.
        self.client_visits = Counter(
            "satveto_client_visits",
            "New visits registered (direct or embedded), by client address",
            ["client"],
            registry=r,
        )
        self.client_sources = Counter(
            "satveto_client_sources",
            "DIASources submitted for vetting, by client address",
            ["client"],
            registry=r,
        )
        self.client_refusals = Counter(
            "satveto_client_refusals",
            "Refused requests (4xx) by client address and error code",
            ["client", "reason"],
            registry=r,
        )
        self.client_implausible = Counter(
            "satveto_client_implausible_visits",
            "Visits refused by the one-camera gate, by client address and rule",
            ["client", "rule"],
            registry=r,
        )
        # The disclosure budget (docs/design.md "Security model"): refusals, and how much of it
        # the last hour used as a quarter bucket only: the exact count, scraped between two
        # requests, would tell how many objects one answer revealed.
        self.disclosure_budget_refusals = Counter(
            "satveto_disclosure_budget_refusals",
            "DIASource requests refused because the disclosure budget was spent",
            registry=r,
        )
        self.disclosure_budget_used = Gauge(
            "satveto_disclosure_budget_used_ratio",
            "Share of limits.max_revealed_per_hour used in the last hour, rounded down to a "
            "quarter (0, 0.25, 0.5, 0.75, 1); NaN until the engine is first asked",
            registry=r,
        )
        self.disclosure_budget_used.set(math.nan)
        self.peer_forwards = Counter(
            "satveto_peer_forwards",
            "Visit registrations forwarded to peers (server.peers), by outcome",
            ["outcome"],
            registry=r,
        )

    def current_client(self) -> str:
        """The metric label of the client of the request being served."""
        return self.client_labels.label(CURRENT_CLIENT.get())


def rounded_size(count: int) -> int:
    """``count`` rounded down to two significant figures (12,345 -> 12,000; 987 -> 980)."""
    if count < 100:
        return count
    unit = int(10 ** (len(str(count)) - 2))
    return count // unit * unit


def budget_bucket(revealed: int, limit: int) -> float:
    """The share ``revealed / limit`` rounded down to a quarter, at most 1."""
    if limit <= 0:
        return 1.0
    return min(4, revealed * 4 // limit) / 4


#: Distinct client labels kept at most; further addresses share the label "other".
MAX_CLIENT_LABELS = 64

#: The label of the client of the request being served (set by the request middleware), so
#: that services reached from any handler count per client without being passed the address.
CURRENT_CLIENT: ContextVar[str] = ContextVar("satveto_current_client", default="unknown")


class ClientLabels:
    """Peer addresses as metric labels, at most MAX_CLIENT_LABELS of them (first seen kept)."""

    def __init__(self, capacity: int = MAX_CLIENT_LABELS) -> None:
        self._capacity = capacity
        self._known: set[str] = set()

    def label(self, address: str) -> str:
        if address in self._known:
            return address
        if len(self._known) < self._capacity:
            self._known.add(address)
            return address
        return "other"
