"""Coordinates and distances: exact WGS84 geodesics, the point index, settlements."""
