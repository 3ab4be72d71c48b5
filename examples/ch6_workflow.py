"""The notes' chapter-6 workflow with chainrule: an MNIST classifier trained like the Keras one.

Flatten → Dense(20, relu) → Dense(20, relu) → Dense(10, softmax), SGD, sparse categorical
cross-entropy, 7:3 train/validation split, batch 20, 10 epochs; then evaluate, summary, save,
load, predict, and a plot of loss and accuracy per epoch.

Uses MNIST when its files are found (``--data-dir``, or the cache: ``$CHAINRULE_DATA``, else
``~/.chainrule/datasets``); otherwise the 8×8 digits bundled with chainrule. ``--compare-torch``
trains the same model in PyTorch from the same initial weights on the same batches and prints
both accuracies.

    python examples/ch6_workflow.py [--data-dir DIR] [--out runs/ch6] [--epochs 10] [--lr 0.1]
                                    [--compare-torch]
"""

import argparse
import os

import numpy as np

import chainrule as cr
from chainrule import nn, optim
from chainrule.data import DataLoader, TensorDataset, train_test_split
from chainrule.datasets import load_bundled_digits
from chainrule.train import evaluate, fit, predict


def load_data(data_dir):
    """(X, y, X_test, y_test, name): MNIST if available, else the bundled digits."""
    try:
        (X, y), (X_test, y_test) = cr.data.load_mnist(data_dir, download=False)
        return (X.astype(np.float32) / 255, y.astype(np.int64),
                X_test.astype(np.float32) / 255, y_test.astype(np.int64), "MNIST")
    except (FileNotFoundError, OSError, ValueError):
        X, y = load_bundled_digits()
        X, X_test, y, y_test = train_test_split(X, y, test_size=0.2, stratify=y, seed=0)
        return X, y, X_test, y_test, "digits (8x8)"


def build_model(image_shape):
    # The softmax of the Keras model is fused into CrossEntropyLoss (stable log-softmax), so the
    # last layer outputs logits; predict() applies the softmax to get probabilities.
    n_inputs = int(np.prod(image_shape))
    return nn.Sequential(nn.Flatten(), nn.Linear(n_inputs, 20), nn.ReLU(),
                         nn.Linear(20, 20), nn.ReLU(), nn.Linear(20, 10))


def train_chainrule(model, X_train, y_train, X_val, y_val, epochs, lr, order_seed):
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=20, shuffle=True,
                        seed=order_seed)
    return fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=lr), loader,
               val=(X_val, y_val), epochs=epochs, metrics=("accuracy",))


def train_torch(state, X_train, y_train, X_val, y_val, epochs, lr, order_seed):
    """The same model, initial weights and batch order in PyTorch; returns its val accuracy."""
    import torch

    n_inputs = int(np.prod(X_train.shape[1:]))
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(n_inputs, 20), torch.nn.ReLU(),
                              torch.nn.Linear(20, 20), torch.nn.ReLU(), torch.nn.Linear(20, 10))
    net.load_state_dict({k: torch.from_numpy(v.data.copy()) for k, v in state.items()})
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=20, shuffle=True,
                        seed=order_seed)  # chainrule's loader: the very same batches
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(net(torch.from_numpy(xb.data)), torch.from_numpy(yb.data))
            loss.backward()
            opt.step()
    with torch.no_grad():
        predicted = net(torch.from_numpy(X_val)).argmax(1).numpy()
    return float((predicted == y_val).mean())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", default="runs/ch6")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--compare-torch", action="store_true")
    args = parser.parse_args(argv)

    cr.manual_seed(0)
    X, y, X_test, y_test, name = load_data(args.data_dir)
    # 7:3 split of the training data into training and validation, as in the notes
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3, stratify=y, seed=1)
    print(f"data: {name}, train {len(X_train)}, validation {len(X_val)}, test {len(X_test)}")

    model = build_model(X.shape[1:])
    model.summary(X.shape[1:])
    initial = {k: v.data.copy() for k, v in model.state_dict().items()}
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

    result = {"chainrule_val_accuracy": history["val_accuracy"][-1],
              "test_accuracy": test["accuracy"]}
    if args.compare_torch:
        state = {k: cr.tensor(v) for k, v in initial.items()}
        result["torch_val_accuracy"] = train_torch(state, X_train, y_train, X_val, y_val,
                                                   args.epochs, args.lr, 2)
        print(f"validation accuracy: chainrule {100 * result['chainrule_val_accuracy']:.2f}%, "
              f"PyTorch {100 * result['torch_val_accuracy']:.2f}%")
    return result


if __name__ == "__main__":
    main()
