"""The HTTP API of the service, both ends: endpoints, input decoding, admission, TLS, the AP
protocol and its contract, and the AP-side client library (satveto.web, satveto.apclient)."""
