"""The ingest job: read articles, chunk them by heading, sync them into the vector store.

`pipeline.ingest()` is the sync; `command.py` is its `supportdesk ingest` front end.
"""
