"""An independent implementation of the Backend.AI Manager."""

__version__ = "0.1.0"
