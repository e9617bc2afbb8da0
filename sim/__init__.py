"""Regional industrial decarbonisation scenario simulator for Chinese provinces."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("china-industry-sim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.1.0+unknown"
