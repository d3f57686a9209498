"""Satellite catalog handling: validation of GP (OMM) element sets and a synthetic demo catalog.

Everything here is pure and synchronous so it can run in a worker thread or a test without an
event loop; the engine only ever sees records that passed :func:`validate_catalog`.
"""

from satveto.catalog.omm import (
    OmmRecord,
    Rejection,
    RejectReason,
    ValidationResult,
    validate_catalog,
    validate_record,
)

__all__ = [
    "OmmRecord",
    "RejectReason",
    "Rejection",
    "ValidationResult",
    "validate_catalog",
    "validate_record",
]
