"""The reliability suites and their helpers: fault injection, load, fuzzing, security checks.

The suites are the ``test_*.py`` modules of this folder (faults, load, HTTP and RPC fuzzing,
security checks, persistence, the insider harness); ``docs/reliability.md`` explains them.
Every suite runs a short version in ``make test``; ``SATVETO_SOAK=1`` (``make soak``) selects the
long one (see :mod:`reliability.scale`).
"""
