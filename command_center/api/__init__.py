"""The /v1 HTTP API (FastAPI), mounted into Reflex through `api_transformer`."""
