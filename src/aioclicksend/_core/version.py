"""The SDK's version: the one place it is written (pyproject.toml reads it from here, the User-Agent too)."""

__version__ = "0.1.0"
