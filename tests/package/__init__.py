"""The package as a whole: its import layering, the configuration (satveto.runtime) and the
operator tools (satveto.tools)."""
