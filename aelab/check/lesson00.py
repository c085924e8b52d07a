"""Checkers for lesson 00 (welcome): two warm-up exercises that show how exercises work.

The notebook calls both functions on float32 numpy arrays of shape (N, 28, 28) (N from 1 to
60,000) and uses the result as a new numpy array; the checks call them the same way, on random
images whose pixels all differ, so that any mix-up of pixels or axes shows.
"""

from __future__ import annotations

import numpy as np

from . import NotYet, answer_array, call_unchanged, exercise, expect_array


def flatten_images_reference(images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) images -> (N, 784) rows, each image read row by row."""
    return images.reshape(len(images), -1)


def mean_image_reference(images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) images -> the (28, 28) average image."""
    return images.mean(axis=0)


def _digits(n: int, seed: int) -> np.ndarray:
    """Random stand-in images with distinct pixel values, so any mix-up of pixels shows."""
    return np.random.default_rng(seed).random((n, 28, 28), dtype=np.float32)


@exercise("00.flatten_images", title="flatten (N, 28, 28) images into (N, 784) vectors",
          reference=flatten_images_reference,
          hint="Each image should become one row: the first axis (which image) stays as it is, "
               "and the two pixel axes (row, column) merge into one. numpy can give an array a "
               "new shape without touching its values, and can work out one of the sizes for you.",
          answer="`return images.reshape(len(images), -1)`: the number of images first, and -1 "
                 "lets numpy work out 28 * 28 = 784. The pixels keep their order: row 0 of the "
                 "image, then row 1, ...")
def _check_flatten(fn, framework):
    for n, seed in ((1, 0), (5, 1), (32, 2)):
        images = _digits(n, seed)
        out = call_unchanged(fn, images, what="flatten_images")
        if out is images:
            raise NotYet("you returned the input unchanged; it still has shape (N, 28, 28).")
        answer_array(out, name=f"flatten_images of {n} image(s)", returns="the (N, 784) array")
        expect_array(out, flatten_images_reference(images), name=f"flatten_images of {n} image(s)",
                     shape_hint="Each image should become one row of 784 numbers.")


@exercise("00.mean_image", title="the average image of a stack of images",
          reference=mean_image_reference,
          hint="An array of shape (N, 28, 28) has three axes: which image, which row, which "
               "column. You want one number per pixel position, averaged over all the images: "
               "which axis is that?",
          answer="`return images.mean(axis=0)`: axis 0 is the image index, so averaging over it "
                 "leaves one (28, 28) image.")
def _check_mean(fn, framework):
    for n, seed in ((3, 3), (1, 5), (50, 4)):
        images = _digits(n, seed)
        out = call_unchanged(fn, images, what="mean_image")
        answer_array(out, name="the mean image", returns="the (28, 28) average image")
        expect_array(out, mean_image_reference(images),
                     name=f"the mean image of {n} image{'s' if n > 1 else ''}",
                     rtol=1e-4, atol=1e-5,
                     shape_hint="The average of N images is one 28x28 image.")
