"""The semantic answer cache: a knowledge answer reused for a later question with the same
meaning, scoped by tenant and knowledge-base version, on Redis 8 vector sets."""

from semantic_cache.cache import CacheHit, Lookup, SemanticCache, open_semantic_cache
from semantic_cache.policy import CacheDecision, is_cacheable
from semantic_cache.settings import CacheSettings

__all__ = [
    "CacheDecision",
    "CacheHit",
    "CacheSettings",
    "Lookup",
    "SemanticCache",
    "is_cacheable",
    "open_semantic_cache",
]
