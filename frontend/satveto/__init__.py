"""satveto: the satellite veto service for the Rubin Observatory Alert Production."""

__version__ = "0.1.0"
