"""The engine's RPC methods over the real engine binary, the protocol's golden vectors, and the
frontend's engine client (satveto.engine)."""
