"""The knowledge base's retrieval layer, shared by the ingest job and the desk: chunks, embeddings, the vector store."""
