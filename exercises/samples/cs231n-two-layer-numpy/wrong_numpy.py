# Forgot the 2 of the square, and h_bar uses W2 without the transpose.
# part: adjoints
y_pred_bar = y_pred - y
W2_bar = h.T @ y_pred_bar
h_bar = y_pred_bar @ W2
W1_bar = x.T @ (h_bar * h * (1 - h))
# part: grad_W1
dloss/dW1 = (h_bar * h * (1 - h)) @ x.T
