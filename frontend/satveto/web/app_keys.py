"""Typed keys of the objects the aiohttp application carries (its dependency graph)."""

from __future__ import annotations

from aiohttp import web

from satveto.engine.rpc import EngineClient
from satveto.runtime.config import Config
from satveto.runtime.metrics import Metrics
from satveto.services.catalog import CatalogService
from satveto.services.history import HistoricalCatalogs
from satveto.services.peers import PeerForwarder
from satveto.services.readiness import ReadinessService
from satveto.services.refresh import CatalogRefresher
from satveto.services.supervision import EngineSupervisor
from satveto.services.visit_registry import VisitRegistry
from satveto.services.visits import VetoService

CONFIG = web.AppKey("config", Config)
ENGINE = web.AppKey("engine", EngineClient)
READINESS = web.AppKey("readiness", ReadinessService)
METRICS = web.AppKey("metrics", Metrics)
CATALOG = web.AppKey("catalog", CatalogService)
VISITS = web.AppKey("visits", VisitRegistry)
SUPERVISOR = web.AppKey("supervisor", EngineSupervisor)
VETO = web.AppKey("veto", VetoService)
REFRESHER = web.AppKey("refresher", CatalogRefresher)
HISTORY = web.AppKey("history", HistoricalCatalogs)
PEERS = web.AppKey("peers", PeerForwarder)
