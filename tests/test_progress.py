import io

import pytest

from chainrule import progress
from chainrule.progress import ProgressBar


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


class FakeClock:
    """Stands in for the ``time`` module so tests decide how much time has passed."""

    def __init__(self):
        self.now = 100.0

    def perf_counter(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(progress, "time", fake)
    return fake


def test_the_line_shows_prefix_count_bar_elapsed_time_and_metrics(clock):
    bar = ProgressBar(150, prefix="Epoch 3/10")
    # 120/150 of 30 columns is 24 done, then the arrow head, then 5 to go.
    expected = ("Epoch 3/10  120/150 [" + "=" * 24 + ">" + "." * 5 + "] - 1.2s"
                " - loss: 0.3412 - accuracy: 0.9012")
    assert bar.format(120, {"loss": 0.34123, "accuracy": 0.90118}, 1.23) == expected


def test_the_count_is_right_aligned_to_the_width_of_the_total():
    bar = ProgressBar(150, width=10)
    assert bar.format(7, {}, 0.0) == "  7/150 [>.........] - 0.0s"


def test_a_finished_bar_is_all_equals_signs():
    assert ProgressBar(4, width=8).format(4, {}, 0.0) == "4/4 [========] - 0.0s"


def test_an_unknown_total_shows_only_the_count():
    bar = ProgressBar(None, prefix="Epoch 1/2")
    assert bar.format(37, {"loss": 2.0}, 0.5) == "Epoch 1/2  37 - 0.5s - loss: 2.0000"


def test_an_empty_epoch_shows_a_full_bar():
    assert ProgressBar(0, width=3).format(0, {}, 0.0) == "0/0 [===] - 0.0s"


@pytest.mark.parametrize("seconds, text", [(0.04, "0.0s"), (59.94, "59.9s"), (59.96, "1m00s"),
                                           (75.2, "1m15s"), (3725.0, "1h02m")])
def test_elapsed_time_is_shown_in_the_largest_sensible_unit(seconds, text):
    assert ProgressBar(1).format(1, {}, seconds).endswith(f"] - {text}")


@pytest.mark.parametrize("value, text", [(0.5, "0.5000"), (1234.56789, "1234.5679"),
                                         (1e-5, "1.0000e-05"), (0.0, "0.0000"),
                                         (float("nan"), "nan"), (3, "3.0000"), ("n/a", "n/a")])
def test_metric_values_are_fixed_point_unless_tiny_or_huge(value, text):
    assert ProgressBar(1).format(1, {"m": value}, 0.0).endswith(f" - m: {text}")


# --- not a terminal: one line per epoch ------------------------------------------------------

def test_a_non_tty_stream_gets_nothing_until_close_then_exactly_one_line(clock):
    stream = io.StringIO()
    bar = ProgressBar(50, stream=stream, prefix="Epoch 1/1")
    for step in range(1, 51):
        clock.now += 1.0
        bar.update(step, loss=1.0 / step)
        assert stream.getvalue() == ""
    bar.close(loss=0.25, val_loss=0.5)
    out = stream.getvalue()
    assert out == "Epoch 1/1  50/50 [" + "=" * 30 + "] - 50.0s - loss: 0.2500 - val_loss: 0.5000\n"


def test_close_without_metrics_shows_the_last_ones_given_to_update():
    stream = io.StringIO()
    bar = ProgressBar(2, stream=stream)
    bar.update(2, loss=0.125)
    bar.close()
    assert stream.getvalue().rstrip("\n").endswith(" - loss: 0.1250")


def test_close_twice_writes_the_line_once():
    stream = io.StringIO()
    bar = ProgressBar(2, stream=stream)
    bar.close(loss=1.0)
    bar.close(loss=2.0)
    assert stream.getvalue().count("\n") == 1 and "loss: 1.0000" in stream.getvalue()


def test_a_closed_stream_is_treated_as_not_a_terminal():
    stream = io.StringIO()
    stream.close()
    ProgressBar(3, stream=stream).update(1)  # must not raise


# --- a terminal: one line redrawn in place ---------------------------------------------------

def test_a_tty_stream_redraws_one_line_with_carriage_returns(clock):
    stream = FakeTTY()
    bar = ProgressBar(3, stream=stream, width=3)
    for step in (1, 2, 3):
        clock.now += 1.0
        bar.update(step, loss=float(step))
    bar.close(loss=9.0)
    frames = stream.getvalue().split("\r")
    assert frames[0] == ""
    # n of 3 steps on 3 columns: n columns done, the arrow head after them.
    assert [f.split(" - ")[0] for f in frames[1:]] == ["1/3 [=>.]", "2/3 [==>]", "3/3 [===]",
                                                       "3/3 [===]"]
    assert stream.getvalue().count("\n") == 1 and stream.getvalue().endswith("loss: 9.0000\n")


def test_redraws_are_throttled_to_one_per_interval(clock):
    stream = FakeTTY()
    bar = ProgressBar(1000, stream=stream, interval=0.1)
    for step in range(1, 1001):
        clock.now += 0.001  # 1000 steps in one second
        bar.update(step)
    # The first update draws, then one every 100 steps of 1 ms each.
    assert stream.getvalue().count("\r") == 10


def test_a_shorter_line_is_padded_to_erase_the_longer_one_before_it(clock):
    stream = FakeTTY()
    bar = ProgressBar(2, stream=stream)
    bar.update(1, loss=1.0, accuracy=0.5)
    clock.now += 1.0
    bar.update(2, loss=1.0)
    first, second = stream.getvalue().split("\r")[1:]
    assert len(second) == len(first) and second.endswith(" ")


def test_an_exception_inside_the_with_block_ends_the_line_without_a_final_line(clock):
    stream = FakeTTY()
    with pytest.raises(RuntimeError):
        with ProgressBar(5, stream=stream) as bar:
            bar.update(2, loss=1.0)
            raise RuntimeError("diverged")
    assert stream.getvalue().count("\r") == 1 and stream.getvalue().endswith("\n")
    assert "5/5" not in stream.getvalue()


def test_leaving_the_with_block_normally_closes_the_bar():
    stream = io.StringIO()
    with ProgressBar(5, stream=stream) as bar:
        bar.update(5, loss=1.0)
    assert stream.getvalue().startswith("5/5 [") and stream.getvalue().endswith("\n")


# --- switched off, defaults, bad arguments ---------------------------------------------------

@pytest.mark.parametrize("stream_type", [io.StringIO, FakeTTY])
def test_a_disabled_bar_writes_nothing(stream_type):
    stream = stream_type()
    bar = ProgressBar(3, stream=stream, enabled=False)
    bar.update(1, loss=1.0)
    bar.close(loss=1.0)
    assert stream.getvalue() == ""


def test_the_default_stream_is_stdout(capsys):
    bar = ProgressBar(1)
    bar.close(loss=0.5)
    assert capsys.readouterr().out == "1/1 [" + "=" * 30 + "] - 0.0s - loss: 0.5000\n"


@pytest.mark.parametrize("total", [-1, 2.5, "10", True])
def test_a_bad_total_is_refused_with_its_value(total):
    with pytest.raises(ValueError,
                       match=f"total must be a non-negative int or None, got {total!r}"):
        ProgressBar(total)


def test_a_bad_width_is_refused():
    with pytest.raises(ValueError, match="width must be a positive int, got 0"):
        ProgressBar(10, width=0)
