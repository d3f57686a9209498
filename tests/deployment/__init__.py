"""Deployment: the systemd units and Quadlet files, restarts under traffic, no catalog byte on
disk."""
