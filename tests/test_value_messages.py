"""Value-check errors name the argument, the rule, the first offending value, its position
and how many offenders there are (concrete arrays; lazy ones are poisoned instead)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import polyloss as pl

LAZY = {"dask"}


@pytest.fixture
def eager(backend):
    if backend.name in LAZY:
        pytest.skip("values of a lazy array are not read: the result is poisoned (tests/test_backends.py)")
    return backend


def test_class_index_names_value_position_and_count(eager):
    x = eager.asarray(np.zeros((4, 3)))
    t = eager.asarray(np.asarray([0, 7, 1, 9]))
    with pytest.raises(IndexError, match=re.escape(
        "`target` must be class indices in [0, 2] or equal `ignore_index` (-100); got 7 at position (1,) (2 in all)"
    )):
        pl.cross_entropy(x, t)
    x3 = eager.asarray(np.zeros((2, 3, 2)))
    t3 = eager.asarray(np.asarray([[0, 1], [-5, 2]]))
    with pytest.raises(IndexError, match=re.escape("got -5 at position (1, 0)")):
        pl.nll_loss(x3 - 1, t3)
    with pytest.raises(IndexError, match=re.escape("`target` must be class indices in [0, 2]; got 3 at position (0, 0)")):
        pl.dice_loss(eager.asarray(np.full((1, 3, 2), 0.5)), eager.asarray(np.asarray([[3, 0]])))


def test_negative_weight_names_the_entry(eager):
    x, t = eager.asarray(np.zeros((2, 3))), eager.asarray(np.asarray([0, 1]))
    with pytest.raises(ValueError, match=re.escape("`weight` must be non-negative; got -2.0 at position (1,)")):
        pl.cross_entropy(x, t, weight=eager.asarray(np.asarray([1.0, -2.0, 1.0])))
    z = eager.asarray(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=re.escape("`pos_weight` must be non-negative; got -0.5 at position (2,)")):
        pl.binary_cross_entropy_with_logits(z, z, pos_weight=eager.asarray(np.asarray([1.0, 1.0, -0.5])))


def test_probability_checks_name_the_value(eager):
    z = eager.asarray(np.zeros((2, 2)))
    y = eager.asarray(np.asarray([[0.0, 255.0], [1.0, 255.0]]))
    with pytest.raises(ValueError, match=re.escape("`target` must hold probabilities in [0, 1]; got 255.0 at position (0, 1) (2 in all)")):
        pl.binary_cross_entropy_with_logits(z, y)
    with pytest.raises(ValueError, match=re.escape("`input` of binary_cross_entropy must be probabilities in [0, 1]; got 1.5 at position (1,). Likely mistake")):
        pl.binary_cross_entropy(eager.asarray(np.asarray([0.5, 1.5])), eager.asarray(np.asarray([0.0, 1.0])))


def test_other_value_checks_name_the_offender(eager):
    a = eager.asarray(np.ones((3, 2)))
    with pytest.raises(ValueError, match=re.escape("`y` must contain only 1 (similar / ranked higher) or -1; got 0.0 at position (2,)")):
        pl.margin_ranking_loss(a[:, 0], a[:, 1], eager.asarray(np.asarray([1.0, -1.0, 0.0])))
    boxes = eager.asarray(np.asarray([[0.0, 0.0, 1.0, 1.0], [2.0, 0.0, 1.0, 1.0]]))
    ok = eager.asarray(np.asarray([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]]))
    with pytest.raises(ValueError, match=re.escape("got a box with x2 < x1 or y2 < y1 at position (1,)")):
        pl.generalized_box_iou_loss(ok, boxes)


def test_swapped_input_and_target_is_named(eager):
    logits = eager.asarray(np.zeros((2, 3)))
    labels = eager.asarray(np.asarray([0, 1]))
    with pytest.raises(TypeError, match="did you swap input and target"):
        pl.cross_entropy(labels, logits)
    with pytest.raises(TypeError, match="did you swap input and target"):
        pl.nll_loss(labels, logits)


def test_none_for_a_required_array_is_named(eager):
    with pytest.raises(TypeError, match=re.escape("`target` must be an array; got None")):
        pl.cross_entropy(eager.asarray(np.zeros((2, 3))), None)
    with pytest.raises(TypeError, match=re.escape("`input` must be an array of an array-API library")):
        pl.mse_loss([1.0], eager.asarray(np.zeros(1)))
