"""Operator tools: the `satveto` command (serve, demo, plot-visit) and what only it uses."""
