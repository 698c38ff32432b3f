"""Retention: submissions older than their procedure's `retention_days` purged by `forms-engine retention purge`."""
