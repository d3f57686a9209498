"""The process around the service: configuration, logs, metrics, systemd notification and
hardening."""
