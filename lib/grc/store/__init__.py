"""The network base (DuckDB): tables, history, GDPR erasure and retention purge."""
