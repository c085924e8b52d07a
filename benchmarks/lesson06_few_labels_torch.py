"""Calibrate lesson 06's few-label experiment (PyTorch): a conv autoencoder trained without labels,
then logistic regression on its 32-number codes vs raw pixels vs PCA-32, at 10/100/1000 labels
per class over several label-sampling seeds. Prints accuracies and seconds per step.

    flock /tmp/aelab-heavy.lock env AELAB_THREADS=2 .venv/bin/python benchmarks/lesson06_few_labels_torch.py
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import aelab
from aelab.data import load_mnist


def sample_per_class(labels, n_per_class, seed):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.choice(np.flatnonzero(labels == c), n_per_class, replace=False)
                           for c in range(10)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-size", type=int, default=60000)
    parser.add_argument("--latent", type=int, default=32)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--counts", default="10,100,1000")
    parser.add_argument("--arch", default="conv", choices=["conv", "dense"])
    parser.add_argument("--scale-raw", action="store_true")
    parser.add_argument("--scale-pca", action="store_true")
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--max-iter", type=int, default=1000)
    parser.add_argument("--save-codes", help="write the codes to this .npz file")
    args = parser.parse_args()

    aelab.setup("torch", seed=0)
    import torch
    from torch import nn

    x_train, y_train = load_mnist("train", size=args.train_size if args.train_size < 60000 else None)
    x_test, y_test = load_mnist("test")
    L = args.latent
    if args.arch == "conv":
        encoder = nn.Sequential(
            nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(32 * 7 * 7, L))
        decoder = nn.Sequential(
            nn.Linear(L, 32 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)),
            nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1), nn.ReLU(),   # as lesson 03 and 06
            nn.ConvTranspose2d(16, 1, 4, stride=2, padding=1), nn.Sigmoid())
    else:
        encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, L))
        decoder = nn.Sequential(nn.Linear(L, 256), nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid(),
                                nn.Unflatten(1, (1, 28, 28)))
    model = nn.Sequential(encoder, decoder)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = torch.from_numpy(x_train[:, None])
    gen = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        perm = torch.randperm(len(data), generator=gen)
        for i in range(0, len(data), 128):
            xb = data[perm[i:i + 128]]
            loss = nn.functional.mse_loss(model(xb), xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch + 1} loss {loss.item():.4f} ({time.perf_counter() - start:.1f} s)", flush=True)
    with torch.no_grad():
        codes_train = torch.cat([encoder(data[i:i + 2048]) for i in range(0, len(data), 2048)]).numpy()
        codes_test = encoder(torch.from_numpy(x_test[:, None])).numpy()
    if args.save_codes:
        np.savez(args.save_codes, train=codes_train, test=codes_test)
    flat_train, flat_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
    pca = PCA(L, random_state=0).fit(flat_train)
    features = {"raw": (flat_train, flat_test), "pca": (pca.transform(flat_train), pca.transform(flat_test)),
                "ae": (codes_train, codes_test)}
    for n in map(int, args.counts.split(",")):
        for name, (ftr, fte) in features.items():
            accs, secs = [], []
            for seed in range(args.seeds):
                idx = sample_per_class(y_train, n, seed)
                steps = [LogisticRegression(C=args.C, max_iter=args.max_iter)]
                if args.scale_raw and name == "raw" or name == "ae" or name == "pca" and args.scale_pca:
                    steps.insert(0, StandardScaler())
                clf = make_pipeline(*steps)
                t = time.perf_counter()
                clf.fit(ftr[idx], y_train[idx])
                secs.append(time.perf_counter() - t)
                accs.append(clf.score(fte, y_test))
            print(f"n={n:5d} {name:4s} acc {np.mean(accs):.4f} ± {np.std(accs):.4f} "
                  f"(min {np.min(accs):.4f}) fit {np.mean(secs):.2f} s", flush=True)


if __name__ == "__main__":
    main()
