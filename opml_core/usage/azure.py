"""Usage sources for Azure deployments (filled in with the Azure targets)."""
