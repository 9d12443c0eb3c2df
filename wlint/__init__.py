"""wlint: static analysis of PyTorch model code for checkpoint compatibility."""

__version__ = "0.1.0"
