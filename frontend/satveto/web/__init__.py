"""The HTTP layer: the aiohttp application, its handlers, request admission, TLS and the decoding
of request bodies.  Services below it never import it (tests/package/test_import_boundaries.py)."""
