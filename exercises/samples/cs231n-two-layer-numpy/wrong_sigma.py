# The sigmoid itself where its derivative belongs: grad_h * h instead of grad_h * h * (1 - h).
# part: adjoints
y_pred_bar = 2.0 * (y_pred - y)
W2_bar = h.T @ y_pred_bar
h_bar = y_pred_bar @ W2.T
W1_bar = x.T @ (h_bar * sigma(x @ W1))
