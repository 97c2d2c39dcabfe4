"""SQL generation and the sqlglot safety gate."""
