"""repcli: reputation monitoring for sellers' support teams."""

__version__ = "0.1.0"
