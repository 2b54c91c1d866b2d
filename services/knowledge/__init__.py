"""The retrieval layer shared by the ingest job and the desk: chunks, embeddings, vector store."""
