"""The playground's settings: defaults, and every value outside its range refused by name."""

import pytest

from chainrule.playground.settings import DEFAULTS, MAX_LAYERS, MAX_NEURONS, SettingError, validate


def test_defaults_are_tf_playgrounds():
    s = validate({})
    assert s == DEFAULTS
    assert (s["dataset"], s["learningRate"], s["batchSize"], s["networkShape"], s["loss"]) == \
        ("circle", 0.03, 10, [4, 2], "mse")


def test_url_strings_are_read_like_the_page_writes_them():
    s = validate({"networkShape": "8,8,4", "features": "x2,x1,sinx1", "learningRate": "0.1",
                  "activation": "relu", "showTestData": "true", "unknownKey": 1})
    assert s["networkShape"] == [8, 8, 4]
    assert s["features"] == ["x1", "x2", "sinx1"]  # the protocol's order
    assert s["learningRate"] == 0.1 and s["activation"] == ["relu"]


@pytest.mark.parametrize("key, value", [
    ("noise", 51), ("noise", -1), ("percTrainData", 5), ("numSamples", 10**6), ("seed", -3),
    ("learningRate", 0.0), ("learningRate", float("nan")), ("learningRate", 11),
    ("batchSize", 0), ("batchSize", 2.5), ("regularizationRate", 1e9), ("epochsPerFrame", 101),
    ("gridSize", 500), ("gridSize", 5), ("problem", "ranking"), ("dataset", "mnist"),
    ("loss", "hinge"), ("optimizer", "lbfgs"), ("scheduler", "warmup"),
    ("regularization", "L3"), ("features", "x3"), ("features", ""), ("activation", "swish"),
    ("learningRate", True), ("noise", "lots"),
])
def test_a_value_out_of_range_is_refused_naming_its_key(key, value):
    with pytest.raises(SettingError, match=key) as e:
        validate({key: value})
    assert e.value.key == key


def test_network_size_limits_name_the_limit():
    with pytest.raises(SettingError, match="network size limit") as e:
        validate({"networkShape": [2] * (MAX_LAYERS + 1)})
    assert e.value.key == "networkShape"
    with pytest.raises(SettingError, match=f"1 to {MAX_NEURONS} neurons"):
        validate({"networkShape": [MAX_NEURONS + 1]})
    with pytest.raises(SettingError, match="neurons"):
        validate({"networkShape": [0]})
    assert validate({"networkShape": []})["networkShape"] == []  # no hidden layer: allowed


def test_settings_that_do_not_fit_together_are_refused():
    with pytest.raises(SettingError, match="not a regression data set"):
        validate({"problem": "regression"})  # the default dataset, circle, is for classes
    assert validate({"problem": "regression", "dataset": "plane"})["dataset"] == "plane"
    with pytest.raises(SettingError, match="regression uses mse"):
        validate({"problem": "regression", "dataset": "plane", "loss": "bce"})
    with pytest.raises(SettingError, match="one per hidden layer") as e:
        validate({"networkShape": [4, 2], "activation": "tanh,relu,elu"})
    assert e.value.key == "activation"


def test_a_refused_update_leaves_the_base_unchanged():
    base = validate({"learningRate": 0.1})
    with pytest.raises(SettingError):
        validate({"learningRate": 0.3, "batchSize": -1}, base=base)
    assert base["learningRate"] == 0.1
