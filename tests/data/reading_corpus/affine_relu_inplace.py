# CS231n assignment 2, layers.py and layer_utils.py: the ReLU backward as the assignment writes it
# (a copy of the upstream gradient, masked in place), np.where, a positional axis
import numpy as np


def affine_relu_backward(dout, cache):
    """Backward pass for the affine-relu convenience layer."""
    (x, w, b), a = cache
    da = dout.copy()
    da[a <= 0] = 0                        # relu_backward
    dx = da.dot(w.T)
    dw = x.T.dot(np.where(a > 0, dout, 0))
    db = da.sum(0)
    loss = 0.0
    loss += np.sum(a)                     # the program's own business
    return dx, dw, db
