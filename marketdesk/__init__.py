"""marketdesk: a self-hosted customer-support platform for online marketplaces."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("marketdesk")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["__version__"]
