"""What the playground exports besides the data: Python code that rebuilds and trains the same
network, and the ``run.json`` that lets ``chainrule predict`` use the exported model."""

import json

from .settings import activations_per_layer

_OPTIMIZER_CLASSES = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov",
                      "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam",
                      "adamw": "AdamW"}
_ACTIVATION_CLASSES = {"tanh": "Tanh", "relu": "ReLU", "sigmoid": "Sigmoid", "linear": "Identity",
                       "leakyrelu": "LeakyReLU", "elu": "ELU", "step": "Step"}


def python_code(settings, epochs, mode):
    """A script that trains the same network, on the same data, the same way, for ``epochs``
    epochs (at least one), using chainrule.playground's own data, network and session."""
    s = settings
    state = {k: s[k] for k in ("problem", "dataset", "noise", "percTrainData", "numSamples",
                               "seed", "features", "networkShape", "activation", "loss",
                               "optimizer", "learningRate", "scheduler", "batchSize",
                               "regularization", "regularizationRate")}
    layers = []
    for h, act in zip(s["networkShape"], activations_per_layer(s)):
        layers.append(f"Linear(…, {h}), {_ACTIVATION_CLASSES[act]}()")
    shape = " → ".join(layers + ["Linear(…, out)" + (", Tanh()" if mode == "mse" else "")])
    csv_note = ("\n# dataset=csv: this reads the data exported from the playground "
                "(playground-data.csv)." if s["dataset"] == "csv" else "")
    csv_upload = ('\n    with open("playground-data.csv") as f:\n'
                  '        session.upload_csv("playground-data.csv", f.read())'
                  if s["dataset"] == "csv" else "")
    return f'''"""Train the playground's network again, outside the browser.

Network: {shape}
Optimizer: {_OPTIMIZER_CLASSES[s["optimizer"]]} at lr={s["learningRate"]}, \
scheduler {s["scheduler"]}, batch size {s["batchSize"]}
Regularisation: {s["regularization"]} at rate {s["regularizationRate"]}
Loss: {mode} (mse: TF Playground's ½(out − y)² with a tanh output and labels ±1)
"""{csv_note}
import chainrule as cr
from chainrule.playground.session import Session

STATE = {json.dumps(state, indent=4)}
EPOCHS = {max(1, int(epochs))}

if __name__ == "__main__":
    session = Session(STATE){csv_upload}
    for epoch in range(EPOCHS):
        session.train(epochs=1)
        if (epoch + 1) % 50 == 0 or epoch + 1 == EPOCHS:
            m = session.metrics()
            print(f"epoch {{epoch + 1}}: train loss {{m['trainLoss']:.4f}}, "
                  f"test loss {{m['testLoss']:.4f}}")
    print(session.model)
    cr.save(session.model, "playground-model.safetensors")
'''


def run_json(settings, mode, points):
    """run.json for ``chainrule predict RUN_DIR --input features.csv``: the inputs are the
    enabled features (x1, x2, x1sq, …) in the protocol's order, unscaled."""
    n = len(settings["features"])
    task = {"mse": "regression", "regression": "regression", "bce": "binary",
            "ce": "multiclass"}[mode]
    output = {"mse": "values", "regression": "values", "bce": "logit", "ce": "logits"}[mode]
    loss = {"mse": "MSELoss", "regression": "MSELoss", "bce": "BCEWithLogitsLoss",
            "ce": "CrossEntropyLoss"}[mode]
    info = {"dataset": f"playground:{settings['dataset']}", "task": task, "loss": loss,
            "output": output, "input_shape": [n], "samples": settings["numSamples"],
            "noise": settings["noise"], "seed": settings["seed"],
            "val_split": 1 - settings["percTrainData"] / 100,
            "scaler": {"mean": [0.0] * n, "std": [1.0] * n},
            "features": settings["features"], "n_classes": points.num_classes or None}
    return json.dumps(info, indent=2)
