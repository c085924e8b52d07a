"""Prototype lesson 06's fine-tuning comparison (PyTorch): the lesson's conv encoder + a small
head, (a) trained from scratch on the labelled digits, (b) initialised from the autoencoder's
encoder (trained as in the lesson: 4 epochs of MSE on 55,000 unlabelled images) and fine-tuned,
next to (c) logistic regression on the frozen codes. Labelled images come from the autoencoder's
training part; a fixed labelled validation set from its held-out part chooses the stopping point
(early stopping: the weights of the best validation check are kept); the test set gives the number.
Prints mean ± std test accuracy per method and labels per class, and seconds per run.

    flock /tmp/aelab-long-fewlabels.lock nice -n 19 env AELAB_THREADS=1 \
        .venv/bin/python benchmarks/lesson06_finetune.py --encoder /tmp/fewlabels_encoder.pt
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
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
    parser.add_argument("--encoder", default="/tmp/fewlabels_encoder.pt", help="cache of the pretrained encoder")
    parser.add_argument("--counts", default="10,100,1000")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--seeds-1000", type=int, default=2, help="seeds at 1000 labels per class")
    parser.add_argument("--steps", type=int, default=2000, help="updates per run (upper bound)")
    parser.add_argument("--check-every", type=int, default=100)
    parser.add_argument("--patience", type=int, default=3, help="checks without improvement before stopping")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3, help="head (and scratch) learning rate")
    parser.add_argument("--encoder-lr", type=float, default=1e-3, help="pretrained encoder's learning rate")
    parser.add_argument("--shift", type=int, default=2, help="random shifts of up to this many pixels (0: off)")
    parser.add_argument("--n-val", type=int, default=1000)
    parser.add_argument("--methods", default="scratch,finetune,codes")
    parser.add_argument("--head", default="bn", choices=["relu", "linear", "bn", "mlp"])
    parser.add_argument("--probe-steps", type=int, default=0, help="fine-tune: head-only updates first")
    parser.add_argument("--recon-weight", type=float, default=0.0,
                        help="fine-tune: add this times the decoder's MSE on unlabelled images to the loss")
    args = parser.parse_args()

    aelab.setup("torch", seed=0)
    import torch
    from torch import nn

    train_images, train_labels = load_mnist("train", flatten=True)
    test_images, test_labels = load_mnist("test", flatten=True)
    split = np.random.default_rng(0).permutation(len(train_images))
    feature_validation, feature_train = split[:5000], split[5000:]
    L = 32

    def make_encoder():
        return nn.Sequential(
            nn.Unflatten(1, (1, 28, 28)),
            nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(32 * 7 * 7, L))

    def make_decoder():
        return nn.Sequential(
            nn.Linear(L, 32 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)),
            nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(16, 1, 4, stride=2, padding=1), nn.Sigmoid(), nn.Flatten())

    decoder_path = args.encoder.replace(".pt", "_decoder.pt")
    if os.path.exists(args.encoder) and os.path.exists(decoder_path):
        pretrained, decoder = make_encoder(), make_decoder()
        pretrained.load_state_dict(torch.load(args.encoder, weights_only=True))
        decoder.load_state_dict(torch.load(decoder_path, weights_only=True))
    else:   # the lesson's autoencoder, trained the lesson's way
        torch.manual_seed(0)
        pretrained = make_encoder()
        decoder = make_decoder()
        model = nn.Sequential(pretrained, decoder)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        data = torch.from_numpy(train_images[feature_train])
        gen = torch.Generator().manual_seed(0)
        start = time.perf_counter()
        for epoch in range(4):
            perm = torch.randperm(len(data), generator=gen)
            for i in range(0, len(data), 128):
                xb = data[perm[i:i + 128]]
                loss = nn.functional.mse_loss(model(xb), xb)
                opt.zero_grad()
                loss.backward()
                opt.step()
            print(f"AE epoch {epoch + 1} loss {loss.item():.4f} ({time.perf_counter() - start:.0f} s)", flush=True)
        torch.save(pretrained.state_dict(), args.encoder)
        torch.save(decoder.state_dict(), decoder_path)
    pretrained.eval()

    val_idx = feature_validation[sample_per_class(train_labels[feature_validation], args.n_val // 10, 99)]
    x_val, y_val = torch.from_numpy(train_images[val_idx]), torch.from_numpy(train_labels[val_idx]).long()
    x_test, y_test = torch.from_numpy(test_images), torch.from_numpy(test_labels).long()
    x_unlabelled = torch.from_numpy(train_images[feature_train])

    def random_shift(x, max_shift, gen):
        """(B, 784) -> the same images each moved by up to max_shift pixels in x and y."""
        if max_shift == 0:
            return x
        b = len(x)
        padded = nn.functional.pad(x.view(b, 28, 28), (max_shift,) * 4)
        dy, dx = torch.randint(0, 2 * max_shift + 1, (2, b), generator=gen)
        rows = (dy[:, None] + torch.arange(28))[:, :, None]
        cols = (dx[:, None] + torch.arange(28))[:, None, :]
        return padded[torch.arange(b)[:, None, None], rows, cols].reshape(b, 784)

    def accuracy(model, x, y):
        model.eval()
        with torch.no_grad():
            return sum((model(x[i:i + 2000]).argmax(1) == y[i:i + 2000]).sum().item()
                       for i in range(0, len(x), 2000)) / len(x)

    def train_classifier(init, x, y, seed):
        torch.manual_seed(seed)
        encoder = make_encoder()
        if init:
            encoder.load_state_dict(pretrained.state_dict())
        head = {"relu": lambda: nn.Sequential(nn.ReLU(), nn.Linear(L, 10)),
                "linear": lambda: nn.Linear(L, 10),
                "bn": lambda: nn.Sequential(nn.BatchNorm1d(L), nn.Linear(L, 10)),
                "mlp": lambda: nn.Sequential(nn.Linear(L, 64), nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, 10)),
                }[args.head]()
        model = nn.Sequential(encoder, head)
        enc_lr = args.encoder_lr if init else args.lr
        groups = [{"params": encoder.parameters(), "lr": enc_lr}, {"params": head.parameters(), "lr": args.lr}]
        joint = init and args.recon_weight > 0
        if joint:
            dec = make_decoder()
            dec.load_state_dict(decoder.state_dict())
            groups.append({"params": dec.parameters(), "lr": args.lr})
        opt = torch.optim.Adam(groups)
        gen = torch.Generator().manual_seed(seed)
        best, best_state, best_step, waited = -1.0, None, 0, 0
        probe = torch.optim.Adam(head.parameters(), lr=args.lr)
        for step in range(1, args.steps + 1):
            model.train()
            if init and step <= args.probe_steps:   # linear probe: the encoder stays as it is
                batch = torch.randint(0, len(x), (min(args.batch, len(x)),), generator=gen)
                with torch.no_grad():
                    codes = encoder(random_shift(x[batch], args.shift, gen))
                loss = nn.functional.cross_entropy(head(codes), y[batch])
                probe.zero_grad()
                loss.backward()
                probe.step()
                continue
            batch = torch.randint(0, len(x), (min(args.batch, len(x)),), generator=gen)
            loss = nn.functional.cross_entropy(model(random_shift(x[batch], args.shift, gen)), y[batch])
            if joint:   # keep redrawing unlabelled images while learning the labels
                unlabelled = x_unlabelled[torch.randint(0, len(x_unlabelled), (args.batch,), generator=gen)]
                loss = loss + args.recon_weight * nn.functional.mse_loss(dec(encoder(unlabelled)), unlabelled)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % args.check_every == 0:
                acc = accuracy(model, x_val, y_val)
                if acc > best:
                    best, best_step, waited = acc, step, 0
                    best_state = {k: v.clone() for k, v in model.state_dict().items()}
                else:
                    waited += 1
                    if waited >= args.patience:
                        break
        model.load_state_dict(best_state)
        return accuracy(model, x_test, y_test), best, best_step

    with torch.no_grad():
        codes_train = pretrained(torch.from_numpy(train_images)).numpy()
        codes_test = pretrained(x_test).numpy()
    methods = args.methods.split(",")
    print(f"args {vars(args)}", flush=True)
    for n in map(int, args.counts.split(",")):
        seeds = range(args.seeds_1000 if n >= 1000 else args.seeds)
        for method in methods:
            accs, vals, steps, secs = [], [], [], []
            for seed in seeds:
                idx = feature_train[sample_per_class(train_labels[feature_train], n, seed)]
                t = time.perf_counter()
                if method == "codes":
                    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
                    clf.fit(codes_train[idx], train_labels[idx])
                    acc, val, step = clf.score(codes_test, test_labels), float("nan"), 0
                else:
                    acc, val, step = train_classifier(method == "finetune", torch.from_numpy(train_images[idx]),
                                                      torch.from_numpy(train_labels[idx]).long(), seed)
                secs.append(time.perf_counter() - t)
                accs.append(acc), vals.append(val), steps.append(step)
            print(f"n={n:5d} {method:8s} test {np.mean(accs):.4f} ± {np.std(accs):.4f} "
                  f"(min {np.min(accs):.4f}, {len(accs)} seeds) val {np.mean(vals):.4f} "
                  f"best step {np.mean(steps):.0f} | {np.mean(secs):.1f} s/run", flush=True)


if __name__ == "__main__":
    main()
