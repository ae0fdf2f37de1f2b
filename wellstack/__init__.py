"""wellstack: AWS CDK constructs and stacks for a well-architected three-tier web architecture."""

from importlib import metadata

try:
    #: The installed distribution's version: pyproject.toml is its one source.
    __version__ = metadata.version("wellstack")
except metadata.PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
