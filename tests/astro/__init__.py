"""The frontend's astronomy (satveto.astro): sidereal time and Sun, Earth orientation, the
camera model."""
