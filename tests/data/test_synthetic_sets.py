"""The synthetic 2-D sets: shapes, dtypes, seeds, and what noise=0 guarantees."""

import numpy as np
import pytest

from chainrule.data import circle, gauss, moons, multi_gauss, plane, spiral, xor

CLASSIFIERS = [xor, circle, gauss, spiral, moons]
REGRESSORS = [plane, multi_gauss]


@pytest.mark.parametrize("make", CLASSIFIERS)
def test_classification_sets_are_float32_points_with_int64_binary_labels(make):
    X, y = make(n_samples=101, noise=0.1, seed=0)
    assert X.shape == (101, 2) and X.dtype == np.float32
    assert y.shape == (101,) and y.dtype == np.int64
    assert set(np.unique(y)) <= {0, 1}


@pytest.mark.parametrize("make", REGRESSORS)
def test_regression_sets_have_float32_column_targets(make):
    X, y = make(n_samples=50, noise=0.1, seed=0)
    assert X.shape == (50, 2) and X.dtype == np.float32
    assert y.shape == (50, 1) and y.dtype == np.float32


@pytest.mark.parametrize("make", CLASSIFIERS + REGRESSORS)
def test_same_seed_same_data_other_seed_other_data(make):
    X1, y1 = make(n_samples=40, noise=0.2, seed=7)
    X2, y2 = make(n_samples=40, noise=0.2, seed=7)
    X3, _ = make(n_samples=40, noise=0.2, seed=8)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("make", [circle, gauss, spiral, moons])
def test_two_class_sets_are_balanced(make):
    _, y = make(n_samples=100, seed=0)
    assert y.sum() == 50


@pytest.mark.parametrize("make", CLASSIFIERS + REGRESSORS)
def test_bad_arguments_are_rejected(make):
    with pytest.raises(ValueError, match="noise"):
        make(n_samples=10, noise=-0.1)
    with pytest.raises(ValueError, match="n_samples"):
        make(n_samples=1)


def test_noise_free_xor_label_is_one_where_the_signs_differ():
    X, y = xor(n_samples=300, noise=0.0, seed=1)
    np.testing.assert_array_equal(y, (np.sign(X[:, 0]) * np.sign(X[:, 1]) < 0).astype(np.int64))
    assert np.abs(X).min() >= 0.3  # the padding keeps points off the axes


def test_noisy_xor_flips_some_labels():
    X, y = xor(n_samples=300, noise=0.5, seed=1)
    assert (y != (X[:, 0] * X[:, 1] < 0)).any()


def test_noise_free_circle_is_separated_by_radius():
    X, y = circle(n_samples=300, noise=0.0, seed=2)
    r = np.hypot(X[:, 0], X[:, 1])
    assert r[y == 1].max() <= 2.5 and r[y == 0].min() >= 3.5


def test_noise_free_gauss_blobs_sit_on_either_side_of_the_diagonal():
    X, y = gauss(n_samples=400, noise=0.0, seed=3)
    side = X.sum(axis=1) > 0
    assert (side == (y == 1)).mean() > 0.99
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [2, 2], atol=0.2)


def test_gauss_noise_widens_the_blobs():
    X0, y0 = gauss(n_samples=2000, noise=0.0, seed=0)
    X5, y5 = gauss(n_samples=2000, noise=0.5, seed=0)
    # Variance 0.5 + 7 * noise: 0.5 at noise 0, 4 at noise 0.5.
    np.testing.assert_allclose(X0[y0 == 1].var(axis=0), 0.5, rtol=0.15)
    np.testing.assert_allclose(X5[y5 == 1].var(axis=0), 4.0, rtol=0.15)


def test_noise_free_spiral_arms_are_half_a_turn_apart():
    X, y = spiral(n_samples=200, noise=0.0, seed=0)
    # Rotating the label-1 arm by pi (negating it) lands exactly on the label-0 arm.
    arm1 = {tuple(np.round(p, 4)) for p in -X[y == 1]}
    arm0 = {tuple(np.round(p, 4)) for p in X[y == 0]}
    assert arm1 == arm0
    assert np.hypot(X[:, 0], X[:, 1]).max() < 5


def test_noise_free_moons_lie_on_their_unit_half_circles():
    X, y = moons(n_samples=200, noise=0.0, seed=0)
    up, down = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(up[:, 0], up[:, 1]), 1, atol=1e-5)
    np.testing.assert_allclose(np.hypot(down[:, 0] - 1, down[:, 1] - 0.5), 1, atol=1e-5)
    assert (up[:, 1] >= 0).all() and (down[:, 1] <= 0.5 + 1e-6).all()


def test_noise_free_plane_target_is_x_plus_y_over_ten():
    X, y = plane(n_samples=100, noise=0.0, seed=0)
    np.testing.assert_allclose(y[:, 0], X.sum(axis=1) / 10, atol=1e-6)


def test_noise_free_multi_gauss_peaks_at_the_bump_centres():
    X, y = multi_gauss(n_samples=500, noise=0.0, seed=0)
    assert y.min() >= -1 and y.max() <= 1
    near = np.hypot(X[:, 0] - 4, X[:, 1] - 2.5) < 0.5  # a positive bump
    assert near.any() and (y[near, 0] > 0.75).all()
    centres = np.array([[-4, 2.5], [0, 2.5], [4, 2.5], [-4, -2.5], [0, -2.5], [4, -2.5]])
    dist = np.hypot(X[:, None, 0] - centres[:, 0], X[:, None, 1] - centres[:, 1]).min(axis=1)
    assert (dist > 2).any() and (y[dist > 2] == 0).all()


def test_three_spirals_has_three_balanced_classes_and_follows_the_seed():
    from chainrule.data import three_spirals

    X, y = three_spirals(n_samples=100, noise=0.1, seed=3)
    assert X.shape == (100, 2) and X.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [34, 33, 33]
    np.testing.assert_array_equal(X, three_spirals(n_samples=100, noise=0.1, seed=3)[0])
    assert np.hypot(X[:, 0], X[:, 1]).max() <= 5 + 0.1 * np.sqrt(2)


def test_noise_free_checkerboard_colours_alternate_on_3x3_squares():
    from chainrule.data import checkerboard

    X, y = checkerboard(n_samples=400, noise=0.0, seed=2)
    assert np.abs(X).max() <= 6 and set(np.unique(y)) == {0, 1}
    expected = (np.floor(X[:, 0] / 3) + np.floor(X[:, 1] / 3)) % 2
    np.testing.assert_array_equal(y, expected.astype(np.int64))
    with pytest.raises(ValueError, match="checkerboard: noise"):
        checkerboard(n_samples=10, noise=-1)
