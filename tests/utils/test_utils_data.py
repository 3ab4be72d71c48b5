"""chainrule.utils.data against torch.utils.data: the same program, the same batches.

Where both sides draw random numbers (shuffle, random samplers, random_split) the generators
differ, so the tests compare what the contract fixes: the multiset of indices, the partition, the
lengths, the number of batches; where nothing is random, the batches themselves.
"""

import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import chainrule as cr
import chainrule.utils.data as cud


def _ids(n=10):
    return np.arange(n, dtype=np.float32)[:, None], np.arange(n, dtype=np.int64)


def _plain(batch):
    """A batch with every tensor (either library's) turned into a NumPy array."""
    if isinstance(batch, dict):
        return {k: _plain(v) for k, v in batch.items()}
    if isinstance(batch, list | tuple):
        return type(batch)(_plain(v) for v in batch)
    return np.asarray(batch.numpy()) if hasattr(batch, "numpy") else batch


def _batches(lib, loader):
    return [_plain(batch) for batch in loader]


def _same(a, b):
    assert type(a) is type(b) or (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)), \
        (type(a), type(b))
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b


def _both(make):
    """Run ``make(lib)`` with lib = torch's and chainrule's utils.data; compare the batches."""
    ours = _batches(cr, make(cud, cr))
    theirs = _batches(torch, make(tud, torch))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        _same(a, b)


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("batch_size", [1, 3, 4, 10, 11])
def test_tensor_dataset_batches_match_torch(batch_size, drop_last):
    X, y = _ids(10)
    _both(lambda d, lib: d.DataLoader(d.TensorDataset(lib.from_numpy(X), lib.from_numpy(y)),
                                      batch_size=batch_size, drop_last=drop_last))
    loader = cud.DataLoader(cud.TensorDataset(X, y), batch_size=batch_size, drop_last=drop_last)
    torch_loader = tud.DataLoader(tud.TensorDataset(torch.from_numpy(X), torch.from_numpy(y)),
                                  batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == len(torch_loader)


class Samples:
    """A map-style dataset subclass as a tutorial writes one: numbers, arrays, dicts, strings."""

    def __init__(self, kind):
        self.kind = kind

    def __len__(self):
        return 7

    def __getitem__(self, i):
        if self.kind == "numbers":
            return i, float(i) / 2, i % 2 == 0
        if self.kind == "arrays":
            return np.full((2, 3), i, dtype=np.float32), np.int64(i)
        if self.kind == "dict":
            return {"x": np.arange(3, dtype=np.float64) * i, "label": i, "name": f"s{i}"}
        Point = collections.namedtuple("Point", "x y")
        return Point(float(i), i)


@pytest.mark.parametrize("kind", ["numbers", "arrays", "dict"])
def test_default_collate_of_numbers_arrays_and_dicts_matches_torch(kind):
    def make(d, lib):
        ds = type("DS", (d.Dataset,), {"__len__": Samples.__len__,
                                        "__getitem__": Samples.__getitem__})()
        ds.kind = kind
        return d.DataLoader(ds, batch_size=3)
    _both(make)


def test_default_collate_keeps_namedtuples_and_strings():
    point = collections.namedtuple("Point", "x y")
    batch = cud.default_collate([point(1.0, 2), point(3.0, 4)])
    assert type(batch) is point and batch.x.dtype == np.float64 and batch.y.dtype == np.int64
    assert cud.default_collate(["a", "b"]) == ["a", "b"]
    theirs = tud.default_collate([point(1.0, 2), point(3.0, 4)])
    assert str(theirs.x.dtype) == "torch.float64" and str(theirs.y.dtype) == "torch.int64"


def test_default_collate_names_what_it_cannot_batch():
    with pytest.raises(TypeError, match="cannot batch samples of type object"):
        cud.default_collate([object(), object()])
    with pytest.raises(ValueError, match="different shapes"):
        cud.default_collate([np.zeros(2), np.zeros(3)])


def test_batch_size_none_yields_single_converted_samples_as_torch():
    X, y = _ids(4)
    _both(lambda d, lib: d.DataLoader(d.TensorDataset(lib.from_numpy(X), lib.from_numpy(y)),
                                      batch_size=None))


def test_collate_fn_receives_the_list_of_samples():
    X, y = _ids(5)
    _both(lambda d, lib: d.DataLoader(d.TensorDataset(lib.from_numpy(X), lib.from_numpy(y)),
                                      batch_size=2, collate_fn=lambda s: [len(s), int(s[0][1])]))


def test_sampler_and_batch_sampler_choose_the_batches_as_torch():
    X, y = _ids(10)
    order = [3, 1, 4, 1, 5, 9, 2, 6]
    _both(lambda d, lib: d.DataLoader(d.TensorDataset(lib.from_numpy(X), lib.from_numpy(y)),
                                      batch_size=3, sampler=order))
    _both(lambda d, lib: d.DataLoader(d.TensorDataset(lib.from_numpy(X), lib.from_numpy(y)),
                                      batch_sampler=[[0, 2], [9], [4, 4, 1]]))
    _both(lambda d, lib: d.DataLoader(d.TensorDataset(lib.from_numpy(X), lib.from_numpy(y)),
                                      batch_sampler=d.BatchSampler(d.SequentialSampler(range(7)),
                                                                   3, drop_last=True)))


def test_workers_pin_memory_and_persistence_are_accepted_and_run_in_process():
    X, y = _ids(6)
    calls = []
    loader = cud.DataLoader(cud.TensorDataset(X, y), batch_size=4, shuffle=True, num_workers=2,
                            pin_memory=True, worker_init_fn=calls.append,
                            persistent_workers=True, prefetch_factor=2, timeout=5)
    for _ in range(3):
        assert sorted(np.concatenate([yb.numpy() for _, yb in loader])) == list(range(6))
    assert calls == [0]  # persistent: started once


@pytest.mark.parametrize("kwargs, message", [
    ({"shuffle": True, "sampler": [0, 1]}, "mutually exclusive with shuffle"),
    ({"batch_sampler": [[0]], "batch_size": 2}, "mutually exclusive"),
    ({"batch_sampler": [[0]], "drop_last": True}, "mutually exclusive"),
    ({"batch_size": None, "drop_last": True}, "mutually exclusive with drop_last"),
    ({"persistent_workers": True}, "num_workers > 0"),
])
def test_conflicting_arguments_are_refused_as_torch_refuses_them(kwargs, message):
    X, y = _ids(4)
    with pytest.raises(ValueError):
        tud.DataLoader(tud.TensorDataset(torch.from_numpy(X)), **kwargs)
    with pytest.raises(ValueError, match=message):
        cud.DataLoader(cud.TensorDataset(X, y), **kwargs)


def test_shuffle_visits_every_sample_once_per_epoch_in_a_new_order():
    X, y = _ids(50)
    loader = cud.DataLoader(cud.TensorDataset(X, y), batch_size=8, shuffle=True,
                            generator=cr.Generator().manual_seed(0))
    epochs = [np.concatenate([yb.numpy() for _, yb in loader]) for _ in range(2)]
    assert all(sorted(e) == list(range(50)) for e in epochs)
    assert not np.array_equal(epochs[0], epochs[1])
    again = cud.DataLoader(cud.TensorDataset(X, y), batch_size=8, shuffle=True,
                           generator=cr.Generator().manual_seed(0))
    np.testing.assert_array_equal(np.concatenate([yb.numpy() for _, yb in again]), epochs[0])


@pytest.mark.parametrize("replacement, num_samples", [(False, None), (False, 23), (True, 15)])
def test_random_sampler_draws_what_torch_draws(replacement, num_samples):
    ours = list(cud.RandomSampler(range(10), replacement, num_samples,
                                  generator=cr.Generator().manual_seed(1)))
    theirs = list(tud.RandomSampler(range(10), replacement, num_samples,
                                    generator=torch.Generator().manual_seed(1)))
    assert len(ours) == len(theirs) == len(cud.RandomSampler(range(10), replacement, num_samples))
    assert all(isinstance(i, int) and 0 <= i < 10 for i in ours)
    if not replacement:  # whole permutations, then the start of another: counts differ by <= 1
        total = len(ours)
        for drawn in (ours, theirs):
            counts = collections.Counter(drawn)
            assert set(counts) == set(range(10))
            assert set(counts.values()) <= {total // 10, -(-total // 10)}


def test_subset_random_sampler_permutes_exactly_its_indices():
    idx = [7, 2, 9, 4]
    ours = list(cud.SubsetRandomSampler(idx, generator=cr.Generator().manual_seed(0)))
    theirs = list(tud.SubsetRandomSampler(idx, generator=torch.Generator().manual_seed(0)))
    assert sorted(ours) == sorted(theirs) == sorted(idx) and len(ours) == 4


def test_weighted_random_sampler_follows_the_weights():
    weights = [0.0, 1.0, 3.0]
    ours = np.array(list(cud.WeightedRandomSampler(weights, 4000,
                                                   generator=cr.Generator().manual_seed(0))))
    assert 0 not in ours and abs(np.mean(ours == 2) - 0.75) < 0.03
    no_repeat = list(cud.WeightedRandomSampler(weights, 2, replacement=False))
    assert sorted(no_repeat) == sorted(tud.WeightedRandomSampler(weights, 2, replacement=False))
    with pytest.raises(ValueError, match="without replacement"):
        cud.WeightedRandomSampler(weights, 3, replacement=False)
    with pytest.raises(ValueError, match="non-negative"):
        cud.WeightedRandomSampler([-1.0, 2.0], 3)


@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_groups_as_torch(drop_last):
    assert list(cud.BatchSampler(range(10), 3, drop_last)) == \
        list(tud.BatchSampler(range(10), 3, drop_last))
    assert len(cud.BatchSampler(range(10), 3, drop_last)) == \
        len(tud.BatchSampler(range(10), 3, drop_last))


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.25, 0.25, 0.5], [0.34, 0.33, 0.33]])
def test_random_split_partitions_as_torch(lengths):
    ours = cud.random_split(range(10), lengths, generator=cr.Generator().manual_seed(42))
    theirs = tud.random_split(range(10), lengths, generator=torch.Generator().manual_seed(42))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert sorted(i for s in ours for i in s) == list(range(10))


def test_concat_dataset_indexes_across_its_parts_as_torch():
    parts = [list(range(3)), list(range(10, 12)), list(range(20, 24))]
    ours, theirs = cud.ConcatDataset(parts), tud.ConcatDataset(parts)
    assert len(ours) == len(theirs) and ours.cumulative_sizes == theirs.cumulative_sizes
    assert [ours[i] for i in range(-9, 9)] == [theirs[i] for i in range(-9, 9)]
    with pytest.raises(IndexError, match="out of range"):
        ours[9]


def test_iterable_dataset_is_batched_in_stream_order():
    def make(d, lib):
        class Stream(d.IterableDataset):
            def __iter__(self):
                return iter(range(7))
        return d.DataLoader(Stream(), batch_size=3)
    _both(make)
    with pytest.raises(ValueError, match="cannot be shuffled"):
        cud.DataLoader(type("S", (cud.IterableDataset,), {})(), shuffle=True)


def test_subset_of_a_dataset_subclass_loads_as_torch():
    class Squares:
        def __len__(self):
            return 8

        def __getitem__(self, i):
            return np.array([i * i], dtype=np.float32), i

    def make(d, lib):
        ds = type("Sq", (d.Dataset,), dict(vars(Squares)))()
        return d.DataLoader(d.Subset(ds, [5, 0, 3]), batch_size=2)
    _both(make)


def test_chainrule_names_mirror_torch_utils_data():
    for name in ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
                 "DataLoader", "default_collate", "random_split", "Sampler", "SequentialSampler",
                 "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler"]:
        assert hasattr(cr.utils.data, name) and hasattr(tud, name)
    assert cr.utils.data.DataLoader is cr.data.DataLoader  # one home: chainrule.data
