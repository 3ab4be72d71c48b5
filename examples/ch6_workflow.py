"""The notes' chapter 6 with chainrule: the chapter's MNIST classifier, trained as in Keras.

Flatten → Dense(20, relu) → Dense(20, relu) → Dense(10, softmax), SGD, sparse categorical
cross-entropy, 7:3 train/validation split, batch 20, 10 epochs; then summary, evaluate on the
test set, save, load, predict, and a plot of loss and accuracy per epoch.

``--dataset mnist`` is the 70,000 real MNIST images (60,000 train, 10,000 test), read from
``--data-dir`` or the cache (``$CHAINRULE_DATA``, else ``~/.chainrule/datasets``) and downloaded
there if missing. ``--dataset mnist5k`` is the 5,000 real MNIST digits bundled with chainrule (no
download; 1,000 of them held out as the test set). The default, ``auto``, takes MNIST when its
files are there or can be downloaded, else MNIST 5k.

``--compare-torch`` (and ``--compare-keras``, when Keras is installed) trains the same network in
that framework from the same initial weights on the very same batches, and prints the
validation accuracy of each epoch side by side.

    python examples/ch6_workflow.py [--dataset auto|mnist|mnist5k] [--data-dir DIR]
        [--out runs/ch6] [--epochs 10] [--lr 0.1] [--compare-torch] [--compare-keras]
"""

import argparse
import importlib.util
import os

import numpy as np

import chainrule as cr
from chainrule import nn, optim
from chainrule.data import (
    DataLoader,
    DownloadError,
    TensorDataset,
    load_mnist,
    load_mnist5k,
    train_test_split,
)
from chainrule.train import evaluate, fit, predict

BATCH_SIZE = 20


def load_data(dataset, data_dir):
    """(X, y, X_test, y_test, name): pixels scaled to [0, 1], as the chapter divides by 255."""
    if dataset in ("auto", "mnist"):
        try:
            (X, y), (X_test, y_test) = load_mnist(data_dir)
            name = "MNIST (60,000 train, 10,000 test)"
        except (DownloadError, FileNotFoundError) as e:
            if dataset == "mnist":
                raise
            print(f"MNIST is not available here ({str(e).split('. ')[0]}); using MNIST 5k")
            dataset = "mnist5k"
    if dataset == "mnist5k":
        images, labels = load_mnist5k()
        X, X_test, y, y_test = train_test_split(images, labels, test_size=0.2, stratify=labels,
                                                seed=0)
        name = "MNIST 5k (5,000 real MNIST digits: 4,000 train, 1,000 test)"
    scale = np.float32(1 / 255)
    return (X.astype(np.float32) * scale, y.astype(np.int64),
            X_test.astype(np.float32) * scale, y_test.astype(np.int64), name)


def build_model(image_shape):
    # The softmax of the Keras model is fused into CrossEntropyLoss (stable log-softmax), so the
    # last layer outputs logits; predict() then applies the softmax to get probabilities.
    n_inputs = int(np.prod(image_shape))
    return nn.Sequential(nn.Flatten(), nn.Linear(n_inputs, 20), nn.ReLU(),
                         nn.Linear(20, 20), nn.ReLU(), nn.Linear(20, 10))


def batches(X_train, y_train, order_seed):
    """The shuffled mini-batches every framework here trains on: chainrule's DataLoader."""
    return DataLoader(TensorDataset(X_train, y_train), batch_size=BATCH_SIZE, shuffle=True,
                      seed=order_seed)


def train_chainrule(model, X_train, y_train, X_val, y_val, epochs, lr, order_seed):
    return fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=lr),
               batches(X_train, y_train, order_seed), val=(X_val, y_val), epochs=epochs,
               metrics=("accuracy",))


def train_torch(initial, X_train, y_train, X_val, y_val, epochs, lr, order_seed):
    """The same model, initial weights and batches in PyTorch: validation accuracy per epoch."""
    import torch

    n_inputs = int(np.prod(X_train.shape[1:]))
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(n_inputs, 20), torch.nn.ReLU(),
                              torch.nn.Linear(20, 20), torch.nn.ReLU(), torch.nn.Linear(20, 10))
    net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in initial.items()})
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    loader, accuracies = batches(X_train, y_train, order_seed), []
    for _ in range(epochs):  # one loader for all epochs, as fit uses: a new shuffle each epoch
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(net(torch.from_numpy(xb.array)), torch.from_numpy(yb.array)).backward()
            opt.step()
        with torch.no_grad():
            predicted = net(torch.from_numpy(X_val)).argmax(1).numpy()
        accuracies.append(float((predicted == y_val).mean()))
    return accuracies


def train_keras(initial, X_train, y_train, X_val, y_val, epochs, lr, order_seed):
    """The same in Keras (Dense keeps its kernel as (in, out): chainrule's weight transposed)."""
    import keras

    model = keras.Sequential([
        keras.Input(X_train.shape[1:]), keras.layers.Flatten(),
        keras.layers.Dense(20, activation="relu"), keras.layers.Dense(20, activation="relu"),
        keras.layers.Dense(10)])
    model.set_weights([initial["1.weight"].T, initial["1.bias"], initial["3.weight"].T,
                       initial["3.bias"], initial["5.weight"].T, initial["5.bias"]])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    loader, accuracies = batches(X_train, y_train, order_seed), []
    for _ in range(epochs):
        for xb, yb in loader:
            model.train_on_batch(xb.array, yb.array)
        predicted = np.asarray(model.predict(X_val, verbose=0)).argmax(1)
        accuracies.append(float((predicted == y_val).mean()))
    return accuracies


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="auto", choices=("auto", "mnist", "mnist5k"))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", default="runs/ch6")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--compare-torch", action="store_true")
    parser.add_argument("--compare-keras", action="store_true")
    args = parser.parse_args(argv)

    cr.manual_seed(0)
    X, y, X_test, y_test, name = load_data(args.dataset, args.data_dir)
    # 7:3 split of the training data into training and validation, as in the notes
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3, stratify=y, seed=1)
    print(f"data: {name}; train {len(X_train)}, validation {len(X_val)}, test {len(X_test)}")

    model = build_model(X.shape[1:])
    model.summary(X.shape[1:])
    initial = {k: v.array.copy() for k, v in model.state_dict().items()}
    history = train_chainrule(model, X_train, y_train, X_val, y_val, args.epochs, args.lr, 2)

    test = evaluate(model, nn.CrossEntropyLoss(), (X_test, y_test))
    print(f"test loss {test['loss']:.4f}, test accuracy {100 * test['accuracy']:.2f}%")

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "model.safetensors")
    cr.save(model, path)
    restored = cr.load(path)
    logits = predict(restored, X_test[:5])
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    for p, t in zip(probs, y_test[:5]):
        print(f"predicted {p.argmax()} (p={p.max():.3f}), true {t}")
    try:
        history.plot(os.path.join(args.out, "curves.png"), title=f"ch.6 workflow · {name}")
        print(f"curves: {os.path.join(args.out, 'curves.png')}")
    except ImportError as e:
        print(f"(no plot: {e})")

    result = {"data": name, "chainrule_val_accuracy": history["val_accuracy"][-1],
              "test_accuracy": test["accuracy"]}
    columns = {"chainrule": list(history["val_accuracy"])}
    if args.compare_torch:
        columns["PyTorch"] = train_torch(initial, X_train, y_train, X_val, y_val, args.epochs,
                                         args.lr, 2)
        result["torch_val_accuracy"] = columns["PyTorch"][-1]
    if args.compare_keras:
        if importlib.util.find_spec("keras") is None:
            print("--compare-keras: Keras is not installed (pip install keras and a backend); "
                  "skipped")
        else:
            columns["Keras"] = train_keras(initial, X_train, y_train, X_val, y_val, args.epochs,
                                           args.lr, 2)
            result["keras_val_accuracy"] = columns["Keras"][-1]
    if len(columns) > 1:
        print("validation accuracy, same initial weights and batches:")
        print("epoch  " + "  ".join(f"{c:>9}" for c in columns))
        for epoch in range(args.epochs):
            print(f"{epoch + 1:>5}  " + "  ".join(f"{100 * columns[c][epoch]:>8.2f}%"
                                                 for c in columns))
    return result


if __name__ == "__main__":
    main()
