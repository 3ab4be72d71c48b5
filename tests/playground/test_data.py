"""The playground's points: every data set and problem, the seven features, the user's CSV."""

import numpy as np
import pytest

from chainrule.playground.data import EXTENT, features, make_points, parse_csv, to_csv
from chainrule.playground.settings import LIMITS, SettingError, validate

CLASSES = {"circle": 2, "xor": 2, "gauss": 2, "spiral": 2, "moons": 2, "spiral3": 3,
           "checkerboard": 2}


@pytest.mark.parametrize("dataset", sorted(CLASSES))
def test_every_classification_set_splits_as_tf_does(dataset):
    s = validate({"dataset": dataset, "numSamples": 200, "percTrainData": 70, "seed": 4,
                  "noise": 20, "loss": "ce"})
    p = make_points(s)
    assert (len(p.x_train), len(p.x_test)) == (140, 60)
    assert p.num_classes == CLASSES[dataset]
    y = np.concatenate([p.y_train, p.y_test])
    assert set(np.unique(y)) == set(range(CLASSES[dataset]))
    assert np.abs(np.concatenate([p.x_train, p.x_test])).max() <= EXTENT + 1  # inside the map
    again = make_points(s)
    np.testing.assert_array_equal(again.x_train, p.x_train)  # the seed fixes points and split


@pytest.mark.parametrize("dataset", ["plane", "multigauss"])
def test_regression_sets_have_targets_in_minus_one_one_ish(dataset):
    p = make_points(validate({"problem": "regression", "dataset": dataset, "numSamples": 300}))
    assert p.num_classes == 0 and p.y_train.dtype == np.float64 and p.y_train.ndim == 1
    assert np.abs(np.concatenate([p.y_train, p.y_test])).max() <= 1.2 + 1e-6


def test_the_seven_features_of_tf_playground():
    pts = np.array([[1.0, -2.0], [0.5, 3.0]])
    names = ["x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2"]
    got = features(pts, names)
    a, b = pts[:, 0], pts[:, 1]
    np.testing.assert_allclose(got, np.stack([a, b, a * a, b * b, a * b, np.sin(a), np.sin(b)],
                                             axis=1))
    np.testing.assert_allclose(features(pts, ["sinx2", "x1"]), np.stack([np.sin(b), a], axis=1))


def test_csv_with_a_header_and_named_classes():
    text = "x,y,kind\n" + "\n".join(f"{i},{-i},{'cat' if i % 2 else 'dog'}" for i in range(10))
    p = parse_csv(text, "classification", 50, seed=0)
    assert p.classes == ["cat", "dog"] and (len(p.x_train), len(p.x_test)) == (5, 5)
    x = np.concatenate([p.x_train, p.x_test])
    y = np.concatenate([p.y_train, p.y_test])
    np.testing.assert_array_equal(y, np.where(x[:, 0] % 2 == 1, 0, 1))  # labels follow rows


def test_csv_for_regression_reads_numbers():
    p = parse_csv("1,2,0.5\n3,4,-0.25\n5,6,1e-1\n", "regression", 50, seed=0)
    assert sorted(np.concatenate([p.y_train, p.y_test]).tolist()) == [-0.25, 0.1, 0.5]


def test_exported_data_uploads_back_with_the_same_split():
    p = make_points(validate({"dataset": "spiral3", "loss": "ce", "numSamples": 60}))
    back = parse_csv(to_csv(p), "classification", 50, seed=99)
    np.testing.assert_array_equal(back.x_train, p.x_train)
    np.testing.assert_array_equal(back.y_test, p.y_test)


@pytest.mark.parametrize("text, key, words", [
    ("1,2,a\n" * (LIMITS["csvRows"] + 1), "csvRows", "limit"),
    ("1,2,a\n", "csvRows", "at least 2"),
    ("1,2\n3,4\n", "csvColumns", "columns"),
    ("1,2,a,b,c\n3,4,a,b,c\n", "csvColumns", "columns"),
    ("1,2,a\n3,4,b,train\n", "csvColumns", "same in every row"),
    ("1,2,a,maybe\n3,4,b,test\n", "csvColumns", "train or test"),
    ("1,2,a\n3,x,b\n", "csvValues", "not a number"),
    ("1,nan,a\n3,4,b\n", "csvValues", "finite"),
    ("1,inf,a\n3,4,b\n", "csvValues", "finite"),
    ("1,1e300,a\n3,4,b\n", "csvValues", "finite value within"),
    ("1,2,a\n3,4,a\n", "classes", "at least 2 classes"),
    ("".join(f"{i},{i},c{i}\n" for i in range(LIMITS["classes"] + 1)), "classes", "limit"),
    ("1,2,a,test\n3,4,b,test\n", "csvRows", "train"),
])
def test_bad_csv_is_refused_naming_the_limit(text, key, words):
    with pytest.raises(SettingError, match=words) as e:
        parse_csv(text, "classification", 50, seed=0)
    assert e.value.key == key


def test_csv_too_large_is_refused_before_parsing():
    with pytest.raises(SettingError, match="csvBytes") as e:
        parse_csv("1" * (LIMITS["csvBytes"] + 1), "classification", 50, seed=0)
    assert e.value.key == "csvBytes"


def test_regression_csv_refuses_a_non_numeric_target():
    with pytest.raises(SettingError, match="row 2, column 3"):
        parse_csv("1,2,0.5\n3,4,big\n", "regression", 50, seed=0)
