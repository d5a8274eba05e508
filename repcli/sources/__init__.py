"""Source types: one module per platform, registered by name in `registry`."""
