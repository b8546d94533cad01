# CS231n assignment 2, layer_utils.py: the backward pass of affine -> ReLU, as students hand it in
import numpy as np


def affine_relu_backward(dout, cache):
    """Backward pass for the affine-relu convenience layer."""
    X, W, b = cache
    N = X.shape[0]
    a = X.reshape(N, -1).dot(W) + b       # forward again (the program's own business)
    out = np.maximum(0, a)
    print("out:", out.shape)
    da = G * (a > 0)                      # ReLU: the mask
    dx = da.dot(W.T)
    dw = X.T.dot(da)
    db = np.sum(da, axis=0, keepdims=True)
    return dx, dw, db
