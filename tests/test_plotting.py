import os
import struct
import subprocess
import sys

import pytest

from chainrule.plotting import history_figure, plot_history

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

HISTORY = {"loss": [0.9, 0.5, 0.3, 0.25], "val_loss": [1.0, 0.6, 0.45, 0.44],
           "accuracy": [0.6, 0.8, 0.9, 0.92], "val_accuracy": [0.55, 0.75, 0.85, 0.86]}


def _png_size(data):
    # IHDR is the first chunk: 8-byte signature, 4-byte length, b"IHDR", width, height.
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_plot_history_writes_a_png_file(tmp_path):
    path = tmp_path / "history.png"
    assert plot_history(HISTORY, path, title="run 1") == path
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    width, height = _png_size(data)
    assert width > height > 100  # two panels side by side


def test_plot_history_leaves_no_temp_file_behind(tmp_path):
    plot_history(HISTORY, tmp_path / "history.png")
    assert os.listdir(tmp_path) == ["history.png"]


def test_a_failed_plot_keeps_the_previous_png(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    path = tmp_path / "history.png"
    plot_history(HISTORY, path)
    before = path.read_bytes()

    def broken_savefig(self, f, **kwargs):
        f.write(b"\x89PNG half a picture")
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    with pytest.raises(RuntimeError, match="renderer crashed"):
        plot_history({"loss": [1.0, 2.0]}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["history.png"]


def test_each_metric_gets_one_panel_with_training_and_validation_lines():
    figure = history_figure(HISTORY)
    panels = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["loss", "accuracy"]
    for ax, name in zip(panels, ["loss", "accuracy"]):
        lines = {line.get_label(): line for line in ax.get_lines()}
        assert set(lines) == {"training", "validation"}
        assert list(lines["training"].get_xdata()) == [1, 2, 3, 4]
        assert list(lines["training"].get_ydata()) == HISTORY[name]
        assert list(lines["validation"].get_ydata()) == HISTORY["val_" + name]


def test_metrics_without_validation_get_a_single_training_line():
    figure = history_figure({"loss": [1.0, 0.5], "lr": [0.1, 0.1]})
    lr = [ax for ax in figure.axes if ax.get_title() == "lr"][0]
    assert [line.get_label() for line in lr.get_lines()] == ["training"]


def test_the_title_is_shown_above_the_panels():
    assert history_figure(HISTORY, title="MLP on moons").get_suptitle() == "MLP on moons"


def test_a_history_object_is_accepted_as_well_as_its_dict():
    class History:
        history = {"loss": [3.0, 2.0, 1.0]}

    figure = history_figure(History())
    assert list(figure.axes[0].get_lines()[0].get_ydata()) == [3.0, 2.0, 1.0]


def test_values_spanning_two_decades_use_a_log_scale():
    figure = history_figure({"lr": [0.1, 0.01, 0.001], "loss": [0.5, 0.4, 0.3]})
    scales = {ax.get_title(): ax.get_yscale() for ax in figure.axes}
    assert scales == {"lr": "log", "loss": "linear"}


def test_many_metrics_wrap_onto_rows_of_three_and_spare_axes_are_hidden():
    figure = history_figure({f"m{i}": [float(i), 1.0] for i in range(4)})
    visible = [ax for ax in figure.axes if ax.get_visible()]
    assert len(figure.axes) == 6 and len(visible) == 4


@pytest.mark.parametrize("history, error, match", [
    ({}, ValueError, "the history is empty"),
    ({"loss": []}, ValueError, "the history is empty"),
    ({"loss": "0.5"}, ValueError, r"history\['loss'\] must be a list of numbers"),
    ({"loss": [0.5, None]}, ValueError, r"history\['loss'\] must be a list of numbers"),
    ([0.5, 0.4], TypeError, "history must be a dict"),
])
def test_bad_histories_are_refused_with_a_clear_error(tmp_path, history, error, match):
    with pytest.raises(error, match=match):
        plot_history(history, tmp_path / "h.png")
    assert not (tmp_path / "h.png").exists()


def test_missing_matplotlib_says_how_to_install_it(tmp_path, monkeypatch):
    # A None entry in sys.modules makes the import fail as if the package were absent.
    for name in ["matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg",
                 "matplotlib.ticker"]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"pip install chainrule\[viz\]"):
        plot_history(HISTORY, tmp_path / "h.png")
    assert os.listdir(tmp_path) == []


def test_importing_chainrule_does_not_import_matplotlib():
    code = "import sys, chainrule, chainrule.plotting; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_plotting_does_not_switch_the_pyplot_backend():
    code = ("import matplotlib; matplotlib.use('svg'); from chainrule.plotting import "
            "history_figure; history_figure({'loss': [1.0, 0.5]}); print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "svg"
