"""Calibrate lesson 06's leave-one-digit-out anomaly detection (PyTorch): AUC per held-out digit
and seconds per training for a few model sizes, against PCA and nearest-neighbour baselines.

    flock /tmp/aelab-heavy.lock env AELAB_THREADS=2 .venv/bin/python benchmarks/lesson06_anomaly_torch.py \
        --latent 32 --hidden 256 --epochs 5 --train-size 60000

Prints one line per held-out digit and the mean; timings are wall-clock seconds on this machine.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import average_precision_score, roc_auc_score

import aelab
from aelab.data import load_mnist


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latent", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--train-size", type=int, default=60000)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--loss", default="mse", choices=["mse", "bce"])
    parser.add_argument("--digits", default="0123456789")
    parser.add_argument("--baselines", action="store_true")
    args = parser.parse_args()

    aelab.setup("torch", seed=0)
    import torch
    from torch import nn

    x_train, y_train = load_mnist("train", size=args.train_size if args.train_size < 60000 else None,
                                  flatten=True)
    x_test, y_test = load_mnist("test", flatten=True)

    def make_autoencoder():
        return nn.Sequential(
            nn.Linear(784, args.hidden), nn.ReLU(), nn.Linear(args.hidden, args.latent),
            nn.Linear(args.latent, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 784), nn.Sigmoid())

    rows = []
    for digit in map(int, args.digits):
        torch.manual_seed(0)
        normal = x_train[y_train != digit]
        model = make_autoencoder()
        opt = torch.optim.Adam(model.parameters(), lr=args.lr)
        loss_fn = nn.MSELoss() if args.loss == "mse" else nn.BCELoss()
        data = torch.from_numpy(normal)
        start = time.perf_counter()
        gen = torch.Generator().manual_seed(0)
        for _ in range(args.epochs):
            perm = torch.randperm(len(data), generator=gen)
            for i in range(0, len(data), args.batch):
                xb = data[perm[i:i + args.batch]]
                loss = loss_fn(model(xb), xb)
                opt.zero_grad()
                loss.backward()
                opt.step()
        seconds = time.perf_counter() - start
        with torch.no_grad():
            recon = model(torch.from_numpy(x_test)).numpy()
        score = ((recon - x_test) ** 2).mean(axis=1)
        is_anomaly = y_test == digit
        auc = roc_auc_score(is_anomaly, score)
        ap = average_precision_score(is_anomaly, score)
        ink = (x_test ** 2).mean(axis=1)
        rel_auc = roc_auc_score(is_anomaly, score / ink)
        line = f"digit {digit}: AE auc {auc:.3f} ap {ap:.3f} rel {rel_auc:.3f} ({seconds:.1f} s)"
        if args.baselines:
            pca = PCA(args.latent, random_state=0).fit(normal)
            pr = pca.inverse_transform(pca.transform(x_test))
            ps = ((pr - x_test) ** 2).mean(axis=1)
            prel = roc_auc_score(is_anomaly, ps / ink)
            line += (f" | PCA auc {roc_auc_score(is_anomaly, ps):.3f} ap "
                     f"{average_precision_score(is_anomaly, ps):.3f} rel {prel:.3f}")
            rows.append((auc, roc_auc_score(is_anomaly, ps), seconds, rel_auc, prel))
        else:
            rows.append((auc, np.nan, seconds, rel_auc, np.nan))
        print(line, flush=True)
    rows = np.array(rows)
    print(f"relative error: AE {rows[:, 3].mean():.3f} PCA {np.nanmean(rows[:, 4]):.3f}")
    print(f"mean AE auc {rows[:, 0].mean():.3f}  PCA {np.nanmean(rows[:, 1]) if args.baselines else float('nan'):.3f}"
          f"  s/training {rows[:, 2].mean():.1f}  config {vars(args)}")


if __name__ == "__main__":
    main()
