"""Container registries and rescans of their images."""
