"""BatchNorm1d/2d, LayerNorm, Embedding and one_hot: the ops gradchecked in float64 and compared
with torch; the layers compared with torch's from the same weights, in train and eval mode, with
their running statistics after several steps; buffers saved, loaded and converted as torch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import check_op, compare_with_torch, normal, seeds
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn

bn_shapes = st.sampled_from([(4, 3), (3, 2, 5), (2, 3, 4, 2), (5, 1)])


@given(bn_shapes, st.booleans(), seeds)
def test_batch_norm_with_batch_statistics_matches_torch(shape, affine, seed):
    c = shape[1]
    x = normal(seed, shape)
    if affine:
        check_op(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                 [x, normal(seed + 1, c), normal(seed + 2, c)],
                 torch_fn=lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True))
    else:
        check_op(lambda x: F.batch_norm(x, None, None, training=True), [x],
                 torch_fn=lambda x: TF.batch_norm(x, None, None, training=True))


@given(bn_shapes, seeds)
def test_batch_norm_with_running_statistics_matches_torch(shape, seed):
    c = shape[1]
    mean, var = normal(seed + 3, c), np.random.default_rng(seed).uniform(0.5, 2, c)
    check_op(lambda x, w, b: F.batch_norm(x, cr.tensor(mean), cr.tensor(var), w, b, eps=1e-3),
             [normal(seed, shape), normal(seed + 1, c), normal(seed + 2, c)],
             torch_fn=lambda x, w, b: TF.batch_norm(x, torch.tensor(mean), torch.tensor(var), w,
                                                    b, eps=1e-3))


@pytest.mark.parametrize("layer,shape", [("BatchNorm1d", (8, 3)), ("BatchNorm1d", (4, 3, 5)),
                                         ("BatchNorm2d", (4, 3, 5, 2))])
@pytest.mark.parametrize("kwargs", [dict(), dict(momentum=None), dict(momentum=0.3, eps=1e-3),
                                    dict(affine=False), dict(track_running_stats=False)])
def test_batch_norm_layers_follow_torch_for_several_steps_then_in_eval(layer, shape, kwargs):
    ours = getattr(nn, layer)(3, **kwargs).double()
    theirs = getattr(torch.nn, layer)(3, **kwargs).double()
    if ours.affine:
        ours.weight.array[...] = [0.5, 2.0, -1.0]
        ours.bias.array[...] = [0.1, 0.0, 0.3]
        theirs.load_state_dict({k: torch.tensor(v.array) for k, v in ours.state_dict().items()})
    for step in range(4):
        x = normal(step, shape) * (step + 1) + step
        compare_with_torch(lambda x: ours(x), [x], torch_fn=lambda x: theirs(x), seed=step)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name].array, value.numpy(), rtol=1e-12,
                                   err_msg=name)
    ours.eval()
    theirs.eval()
    compare_with_torch(lambda x: ours(x), [normal(9, shape)], torch_fn=lambda x: theirs(x))


def test_batch_norm_buffers_are_in_the_state_dict_in_torchs_order():
    layer = nn.BatchNorm2d(4)
    assert list(layer.state_dict()) == list(torch.nn.BatchNorm2d(4).state_dict())
    assert layer.num_batches_tracked.dtype == np.int64
    assert [n for n, _ in layer.named_buffers()] == ["running_mean", "running_var",
                                                     "num_batches_tracked"]
    assert len(list(layer.parameters())) == 2


def test_batch_norm_layer_loads_a_torch_state_dict_and_converts_its_buffers():
    theirs = torch.nn.BatchNorm1d(3)
    theirs(torch.randn(6, 3))
    ours = nn.BatchNorm1d(3)
    ours.load_state_dict(theirs.state_dict())
    np.testing.assert_allclose(ours.running_mean.array, theirs.running_mean.numpy())
    assert int(ours.num_batches_tracked.item()) == 1
    ours.double()
    assert ours.running_var.dtype == np.float64 and ours.weight.dtype == np.float64
    assert ours.num_batches_tracked.dtype == np.int64  # integer buffers keep their dtype


def test_batch_norm_buffers_are_saved_and_loaded(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    model(cr.tensor(normal(0, (10, 4)).astype(np.float32)))
    cr.save(model, tmp_path / "m.safetensors")
    loaded = cr.load(tmp_path / "m.safetensors")
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[name].array, value.array, err_msg=name)
    assert int(loaded[1].num_batches_tracked.item()) == 1


def test_batch_norm_errors_name_the_layer_and_the_shapes():
    with pytest.raises(cr.ShapeError, match=r"BatchNorm2d: expected an input with 4 dims, got "
                                            r"shape \(2, 3\)"):
        nn.BatchNorm2d(3)(cr.tensor(normal(0, (2, 3))))
    with pytest.raises(cr.ShapeError, match=r"batch_norm: weight of shape \(3,\) does not "
                                            r"match the 4 channels"):
        F.batch_norm(cr.tensor(normal(0, (2, 4))), None, None, cr.tensor(np.ones(3)),
                     training=True)
    with pytest.raises(ValueError, match=r"more than 1 value per channel"):
        nn.BatchNorm1d(3)(cr.tensor(normal(0, (1, 3))))


@given(st.sampled_from([((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((3, 2, 2), (2,)), ((6,), (6,))]),
       st.booleans(), seeds)
def test_layer_norm_matches_torch(shapes, affine, seed):
    shape, normalized = shapes
    if affine:
        check_op(lambda x, w, b: F.layer_norm(x, normalized, w, b),
                 [normal(seed, shape), normal(seed + 1, normalized), normal(seed + 2, normalized)],
                 torch_fn=lambda x, w, b: TF.layer_norm(x, normalized, w, b))
    else:
        check_op(lambda x: F.layer_norm(x, normalized, eps=1e-3), [normal(seed, shape)],
                 torch_fn=lambda x: TF.layer_norm(x, normalized, eps=1e-3))


@pytest.mark.parametrize("kwargs", [dict(), dict(elementwise_affine=False), dict(bias=False)])
def test_layer_norm_layer_matches_torch(kwargs):
    ours, theirs = nn.LayerNorm((3, 4), **kwargs).double(), torch.nn.LayerNorm((3, 4), **kwargs)
    theirs.double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    compare_with_torch(lambda x: ours(x), [normal(0, (2, 3, 4))], torch_fn=lambda x: theirs(x))


def test_layer_norm_error_names_the_shapes():
    with pytest.raises(cr.ShapeError, match=r"layer_norm: normalized_shape \(4,\) must be the "
                                            r"last dims of the input, whose shape is \(2, 3\)"):
        nn.LayerNorm(4)(cr.tensor(normal(0, (2, 3))))


# -- embeddings -----------------------------------------------------------------------------------
@given(st.sampled_from([(5,), (2, 3), (2, 2, 2)]), st.sampled_from([None, 0, 2, -1]), seeds)
def test_embedding_matches_torch_with_repeated_indices_and_padding(idx_shape, padding_idx, seed):
    idx = np.random.default_rng(seed).integers(0, 4, idx_shape)
    idx.flat[0] = idx.flat[-1]  # a repeated index: its gradients add up
    w = normal(seed, (4, 3))
    if padding_idx is None:
        check_op(lambda w, i: F.embedding(i, w), [w, idx],
                 torch_fn=lambda w, i: TF.embedding(i, w))
    else:  # the padding row's gradient is zero by decree: not a finite difference, torch's rule
        compare_with_torch(lambda w, i: F.embedding(i, w, padding_idx=padding_idx), [w, idx],
                           torch_fn=lambda w, i: TF.embedding(i, w, padding_idx=padding_idx))


def test_embedding_layer_starts_its_padding_row_at_zero_and_never_trains_it():
    cr.manual_seed(0)
    layer = nn.Embedding(10, 4, padding_idx=3)
    assert np.all(layer.weight.array[3] == 0) and layer.weight.dtype == np.float32
    layer(cr.tensor([[3, 1], [3, 3]])).sum().backward()
    assert np.all(layer.weight.grad.array[3] == 0) and np.all(layer.weight.grad.array[1] == 1)


def test_embedding_from_pretrained_is_frozen_by_default():
    weights = normal(0, (3, 2))
    layer = nn.Embedding.from_pretrained(cr.tensor(weights))
    assert not layer.weight.requires_grad
    np.testing.assert_array_equal(layer(cr.tensor([2, 0])).array, weights[[2, 0]])


def test_embedding_errors():
    layer = nn.Embedding(5, 2)
    with pytest.raises(IndexError, match=r"embedding: index 5 is out of range for 5 embeddings"):
        layer(cr.tensor([1, 5]))
    with pytest.raises(TypeError, match=r"embedding: indices must be integers"):
        layer(cr.tensor([1.0]))


def test_one_hot_matches_torch():
    idx = np.array([[0, 3], [2, 1]])
    np.testing.assert_array_equal(F.one_hot(cr.tensor(idx)).array,
                                  TF.one_hot(torch.tensor(idx)).numpy())
    out = F.one_hot(cr.tensor(idx), num_classes=6)
    assert out.dtype == np.int64 and out.shape == (2, 2, 6)
    with pytest.raises(ValueError, match=r"one_hot: class 3 is out of range for num_classes=3"):
        F.one_hot(cr.tensor(idx), 3)
