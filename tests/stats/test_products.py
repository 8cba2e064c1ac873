"""alliancegov.stats.products: the tall-by-thin product is X @ B, whatever the operands' memory order."""

from __future__ import annotations

import numpy as np
import pytest

from alliancegov.stats.products import tall_times_thin


@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_tall_times_thin_is_the_matrix_product(layout):
    rng = np.random.default_rng(4)
    wide = rng.normal(size=(2_000, 14))
    X = {"C": np.ascontiguousarray(wide[:, :7]), "F": np.asfortranarray(wide[:, :7]), "strided": wide[:, ::2]}[layout]
    B = rng.normal(size=(4, 7)).T   # a transposed (non-C-contiguous) coefficient matrix, as the models pass it
    product = tall_times_thin(X, B)
    assert product.shape == (2_000, 4) and product.flags.c_contiguous
    np.testing.assert_allclose(product, X @ B, rtol=1e-12, atol=1e-12)
