# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Keras quick start
#
# The notebook teams start from: a small binary classifier on random data.
# Run it on a fresh kernel in the TF 2.9 image with
# `nbtools run --image tensorflow/tensorflow:2.9.0-jupyter examples/keras_quickstart.ipynb`.

# %%
import numpy as np
import tensorflow as tf
from tensorflow import keras

np.random.seed(0)
tf.random.set_seed(0)
print("tensorflow", tf.__version__)

# %%
x_train = np.random.random((1000, 20))
y_train = np.random.randint(2, size=(1000, 1))

# %%
model = keras.Sequential(
    [
        keras.layers.Dense(64, activation="relu", input_shape=(20,)),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
)
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])

# %%
history = model.fit(x_train, y_train, epochs=5, batch_size=32, verbose=2)
print("epochs:", len(history.history["loss"]))
