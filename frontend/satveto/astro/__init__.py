"""Astronomy the frontend computes itself: time scales, Earth orientation and the sky checks of
the plausibility gate."""
