"""The desk's HTTP API (FastAPI on uvicorn)."""
