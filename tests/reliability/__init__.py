"""Helpers of the reliability suites: fault injection, load, fuzzing, security checks.

The suites themselves are ``tests/test_faults.py``, ``test_load.py``, ``test_fuzz_http.py``,
``test_security_checks.py`` and ``test_persistence.py``; ``docs/reliability.md`` explains them.
Every suite runs a short version in ``make test``; ``SATVETO_SOAK=1`` (``make soak``) selects the
long one (see :mod:`reliability.scale`).
"""
