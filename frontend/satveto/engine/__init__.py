"""The frontend's side of the engine: the msgpack-RPC client of its Unix socket and, for `make
run` and the tests, the child process that runs it."""
