"""summary(): the Keras table of the notes' ch.6 model."""

from chainrule import nn


def test_summary_of_the_ch6_mnist_model_counts_16330_parameters():
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 20), nn.ReLU(), nn.Linear(20, 20),
                          nn.ReLU(), nn.Linear(20, 10), nn.Softmax(dim=1))
    text = model.summary((28, 28), print_fn=None)
    # 784·20 + 20, 20·20 + 20, 20·10 + 10 weights and biases: Keras prints the same numbers
    assert "15,700" in text and "420" in text and "210" in text
    assert "Total params: 16,330" in text
    assert "(None, 784)" in text and "(None, 10)" in text


def test_summary_restores_the_model_and_counts_frozen_parameters():
    model = nn.Sequential(nn.Linear(3, 2), nn.Dropout(0.5))
    model.train()
    model[0].bias.requires_grad_(False)
    lines = []
    model.summary((3,), print_fn=lines.append)
    assert "Trainable params: 6" in lines[0] and "Non-trainable params: 2" in lines[0]
    assert model.training and "forward" not in model[0].__dict__


def test_summary_of_a_custom_module_lists_its_leaf_layers():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 3)
            self.b = nn.Linear(3, 1)

        def forward(self, x):
            return self.b(self.a(x).relu())

    text = Net().summary((4,), print_fn=None)
    assert "a (Linear)" in text and "b (Linear)" in text and "Total params: 19" in text


def test_summary_shows_a_shared_layer_once_per_call():
    fc = nn.Linear(2, 2)
    text = nn.Sequential(fc, nn.Tanh(), fc).summary((2,), print_fn=None)
    assert text.count("(Linear)") == 2 and "2 (Linear)" not in text
    assert "Total params: 6" in text


def test_summary_takes_an_integer_as_one_feature_axis():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    assert model.summary(4, print_fn=None) == model.summary((4,), print_fn=None)
