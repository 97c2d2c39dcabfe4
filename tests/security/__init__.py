"""Security tests: hostile input, authorization, the SQL gate (issue 11)."""
