#!/usr/bin/env python
"""Lesson 01: how the training recipe decides whether a linear autoencoder reaches PCA quickly.

Trains the lesson's PyTorch linear autoencoder (Adam, lr 1e-2, cosine decay, batch 512) on all
60,000 MNIST training images with three recipes and prints, per k, the test MSE relative to PCA's,
the largest principal angle to PCA's subspace, and the training time:

    glorot+centred   the lesson's recipe
    default+centred  PyTorch's default nn.Linear initialisation instead of Glorot
    glorot+raw       uncentred pixels (the biases have to learn the mean image)

Run under the heavy lock on the shared machine:

    flock /tmp/aelab-heavy.lock env AELAB_THREADS=2 .venv/bin/python benchmarks/lesson01_training_recipe.py
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn

import aelab
from aelab.data import load_mnist
from aelab.metrics import principal_angles
from aelab.models.linear_torch import LinearAutoencoder, glorot_init_
from aelab.torch_support import make_dataloader


def train(model, inputs, epochs, batch_size=512, learning_rate=1e-2):
    loader = make_dataloader(inputs, inputs, batch_size=batch_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * len(loader))
    for _ in range(epochs):
        for x, y in loader:
            loss = nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--ks", default="2,10,32")
    args = parser.parse_args(argv)
    ks = [int(k) for k in args.ks.split(",")]
    aelab.setup("torch", seed=0)

    train_x = load_mnist("train")[0].reshape(60_000, -1)
    test_x = load_mnist("test")[0].reshape(10_000, -1)
    mean = train_x.mean(axis=0)
    start = time.perf_counter()
    vt = np.linalg.svd(train_x - mean, full_matrices=False)[2]
    print(f"SVD of the 60000 x 784 training matrix: {time.perf_counter() - start:.1f} s")

    print(f"{args.epochs} epochs, Adam lr 1e-2 with cosine decay, batch 512")
    print(f"{'recipe':16s} {'k':>3s} {'PCA MSE':>9s} {'AE MSE':>9s} {'AE/PCA':>8s} {'max angle':>10s} {'time':>7s}")
    for recipe in ("glorot+centred", "default+centred", "glorot+raw"):
        centred = recipe.endswith("centred")
        shift = mean if centred else np.zeros_like(mean)
        for k in ks:
            torch.manual_seed(0)
            model = LinearAutoencoder(784, k)
            if recipe.startswith("glorot"):
                glorot_init_(model)
            start = time.perf_counter()
            train(model, train_x - shift, args.epochs)
            seconds = time.perf_counter() - start
            with torch.no_grad():
                recon = model(torch.from_numpy(test_x - shift)).numpy() + shift
            ae = float(np.mean((test_x - recon) ** 2))
            basis = vt[:k].T
            pca = float(np.mean(((test_x - mean) - (test_x - mean) @ basis @ basis.T) ** 2))
            angle = principal_angles(model.decoder.weight.detach().numpy(), basis)[0]
            print(f"{recipe:16s} {k:3d} {pca:9.5f} {ae:9.5f} {ae / pca:8.4f} {angle:9.2f}° {seconds:6.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
