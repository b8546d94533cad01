# The lecture's numpy code, backward pass, as adjoint equations.
# part: adjoints
y_pred_bar = 2.0 * (y_pred - y)
W2_bar = h.T @ y_pred_bar
h_bar = y_pred_bar @ W2.T
W1_bar = x.T @ (h_bar * h * (1 - h))
# part: grad_W1
dloss/dW1 = x.T @ ((2*(y_pred - y) @ W2.T) * sigma'(x @ W1))
