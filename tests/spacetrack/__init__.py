"""The space-track client (satveto.spacetrack): session, request budget, credentials."""
