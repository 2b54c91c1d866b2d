"""What the vector store holds per point (`Chunk`) and what a search returns (`Hit`)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Fixed so that point ids are stable across processes, machines and releases: re-ingesting a
# chunk overwrites its point instead of adding a twin.
_POINT_NAMESPACE = uuid.UUID("6f1d7e52-3c1a-4f0e-9a57-2b8c4d1e9f30")


def point_id(tenant: str, doc_id: str, chunk_index: int) -> str:
    """The point id of one chunk: a UUID5 over (tenant, doc_id, chunk_index).

    The parts are JSON-encoded so no choice of ids can make two different triples collide.
    """
    key = json.dumps([tenant, doc_id, chunk_index], ensure_ascii=False)
    return str(uuid.uuid5(_POINT_NAMESPACE, key))


class Chunk(BaseModel):
    """One retrievable passage of a knowledge-base document, stored as a point's payload."""

    model_config = ConfigDict(frozen=True)

    tenant: str
    doc_id: str
    title: str
    section: str = Field(description="Heading path, e.g. 'Cards › My card hasn't arrived'.")
    anchor: str = Field(description="GitHub-style slug of the section heading; '' for the top.")
    text: str
    chunk_index: int = Field(ge=0)
    content_hash: str = Field(description="Hash of the whole document this chunk came from.")
    kb_version: str = Field(description="The tenant's KB version when this chunk was written.")
    intents: list[str] = Field(default_factory=list)
    source: str = Field(description="Resolved path of the file the document was read from.")
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def point_id(self) -> str:
        return point_id(self.tenant, self.doc_id, self.chunk_index)

    def embedding_text(self) -> str:
        """What gets embedded: the title and heading path help a short passage be found."""
        return f"{self.title}\n{self.section}\n{self.text}"


class Hit(BaseModel):
    """A chunk found by a search, with its cosine similarity to the query."""

    model_config = ConfigDict(frozen=True)

    chunk: Chunk
    score: float
    fused: float = Field(0.0, description="Its reciprocal-rank-fusion score; hits sort by it.")
