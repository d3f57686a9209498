"""Whether the engine's answers are right: matching, corridors, star-frame directions, sky
corners, time scales and SGP4 against the independent references in tests/oracle/, and the
oracle's own checks."""
