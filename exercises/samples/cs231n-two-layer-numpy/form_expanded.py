# grad_w2 written out from the loss, not through grad_y_pred.
# part: adjoints
y_pred_bar = 2.0 * (y_pred - y)
W2_bar = h.T @ (2.0 * (y_pred - y))
h_bar = y_pred_bar @ W2.T
W1_bar = x.T @ (h_bar * h * (1 - h))
