# relu_backward (dx = dout * (x > 0)) then affine_backward
# part: adjoints
out_bar = G
a_bar = relu'(a) * out_bar
W_bar = X.T @ a_bar
X_bar = a_bar @ W.T
b_bar = sum(a_bar, axis=0)
# part: grad_W
dL/dW = X.T @ (relu'(a) * G)
# part: grad_b
dL/db = sum(relu'(a) * G, axis=0)
