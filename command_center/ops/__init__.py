"""Live operations: event taxonomy, ingest, claim/session state machines, KPIs, simulator."""
