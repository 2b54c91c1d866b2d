"""Test helpers that start real local servers (Postgres, the model server, the API)."""
