"""A logistic regression over exemplar embeddings: attack or ordinary message?

Nearest-exemplar similarity only recognises paraphrases of an exemplar; a linear boundary
fitted on all of them learns the direction they share (talk about the assistant's own
instructions, persona and limits) and carries it to phrasings no exemplar has. It is fitted
at start-up from the bundled exemplars alone, in well under a second: no BANKING77 or other
evaluation text is ever training data, and no weights file can drift from the embedder.

Newton's method on the L2-regularised, class-balanced log loss (what scikit-learn's
`LogisticRegression(C=..., class_weight="balanced")` minimises), in numpy: 385 parameters
and a few hundred rows need no more.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from knowledge.embedder import Vectors

Floats = npt.NDArray[np.float64]
DEFAULT_C = 4.0
_ITERATIONS = 25
_TOLERANCE = 1e-8


class ExemplarClassifier:
    def __init__(self, weights: Floats, bias: float) -> None:
        self.weights = weights
        self.bias = bias

    @classmethod
    def fit(cls, attacks: Vectors, benign: Vectors, c: float = DEFAULT_C) -> ExemplarClassifier:
        if not len(attacks) or not len(benign):
            raise ValueError("fitting needs attack and benign exemplars")
        x = np.vstack([attacks, benign]).astype(np.float64)
        y = np.concatenate([np.ones(len(attacks)), np.zeros(len(benign))])
        # Each class weighs as much as the other, however many exemplars it has.
        sample = np.where(y == 1, len(y) / (2 * len(attacks)), len(y) / (2 * len(benign)))
        design = np.hstack([x, np.ones((len(x), 1))])
        penalty = np.full(design.shape[1], 1.0 / c)
        penalty[-1] = 0.0  # the bias is not regularised
        theta = np.zeros(design.shape[1])
        for _ in range(_ITERATIONS):
            p = _sigmoid(design @ theta)
            gradient = design.T @ (sample * (p - y)) + penalty * theta
            curvature = sample * p * (1 - p)
            hessian = design.T @ (design * curvature[:, None]) + np.diag(penalty)
            step = np.linalg.solve(hessian + 1e-9 * np.eye(len(theta)), gradient)
            theta -= step
            if float(np.abs(step).max()) < _TOLERANCE:
                break
        return cls(theta[:-1], float(theta[-1]))

    def probability(self, vectors: Vectors) -> Floats:
        """P(attack) for each row."""
        return _sigmoid(vectors.astype(np.float64) @ self.weights + self.bias)


def _sigmoid(z: Floats) -> Floats:
    result: Floats = 0.5 * (1.0 + np.tanh(0.5 * z))  # stable for large |z|
    return result
