"""The lexical vectors of hybrid search (knowledge.sparse): stable, BM25-shaped."""

from __future__ import annotations

import subprocess
import sys

from knowledge import sparse


def test_terms_drop_stopwords_and_plural_s() -> None:
    assert sparse.terms("Are the Cards' PINs blocked?") == ["card", "pin", "blocked"]
    assert sparse.terms("not working") == ["not", "working"]  # negation carries meaning
    assert sparse.terms("the a of") == []


def test_a_terms_index_is_the_same_in_every_process() -> None:
    code = "from knowledge.sparse import term_index; print(term_index('contactless'))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert int(other.stdout) == sparse.term_index("contactless")
    assert sparse.term_index("wifi") != sparse.term_index("wi-fi")


def test_a_query_counts_each_term_once() -> None:
    vector = sparse.query_vector("fee fee fee transfer")
    assert sorted(vector.indices) == vector.indices
    assert vector.values == [1.0, 1.0]


def test_document_weights_saturate_and_normalise_length() -> None:
    once = sparse.document_vector("refund")
    thrice = sparse.document_vector("refund refund refund")
    index = sparse.term_index("refund")
    weight = dict(zip(once.indices, once.values, strict=True))[index]
    repeated = dict(zip(thrice.indices, thrice.values, strict=True))[index]
    assert weight < repeated < 3 * weight  # more is more, with diminishing returns
    padded = sparse.document_vector("refund " + "word " * 200)
    long_weight = dict(zip(padded.indices, padded.values, strict=True))[index]
    assert long_weight < weight  # one mention in a long text counts less
