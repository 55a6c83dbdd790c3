"""The one place that says which status may follow which, for kernels and sessions."""
