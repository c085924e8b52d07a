"""Reference denoising training loop in Keras (lesson 04's ``04.train_denoiser`` answer).

``train_denoiser(model, clean_images, add_noise, epochs, batch_size, learning_rate)``: clean
images (N, 28, 28, 1) float32 in [0, 1]; ``add_noise(batch)`` returns a noisy copy (numpy in,
numpy out); the model maps noisy images to clean ones. Returns the per-epoch mean losses.
"""

from __future__ import annotations

import numpy as np

__all__ = ["train_denoiser"]


def train_denoiser(model, clean_images, add_noise, epochs, batch_size, learning_rate):
    """Train ``model`` to map ``add_noise(batch)`` to ``batch`` with one ``fit`` over a generator
    of all epochs' batches (fresh noise for every batch), a whole epoch per call into TensorFlow;
    the per-epoch mean losses."""
    import keras

    steps = -(-len(clean_images) // batch_size)

    def batches():
        rng = np.random.default_rng(0)
        for _ in range(epochs):
            order = rng.permutation(len(clean_images))
            for start in range(0, len(clean_images), batch_size):
                clean = clean_images[order[start:start + batch_size]]
                yield add_noise(clean), clean

    # one call into TensorFlow per epoch: with one per batch, each batch is handed over from the
    # generator between calls, which sometimes doubled the training time
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy",
                  steps_per_execution=steps)
    history = model.fit(batches(), epochs=epochs, steps_per_epoch=steps)
    return history.history["loss"]
