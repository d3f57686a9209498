"""The frontend's services (satveto.services): engine supervision, catalog refresh and install,
the fail-safe rule, the camera gate, historical catalogs, the HA pair."""
