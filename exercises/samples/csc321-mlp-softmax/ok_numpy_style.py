# dscores = probs.copy(); dscores[t] -= 1; dW2 = dscores @ h.T; dh = W2.T @ dscores; ...
# part: adjoints
s_bar = y - onehot(t)
W2_bar = s_bar @ h.T
b2_bar = s_bar
h_bar = W2.T @ s_bar
z_bar = h_bar * h * (1 - h)
W1_bar = z_bar @ x.T
b1_bar = z_bar
y_bar = -onehot(t) / y
# part: grad_b2
dL/db2 = y - onehot(t)
# part: grad_W2
dL/dW2 = (y - onehot(t)) @ h.T
# part: grad_W1
dL/dW1 = (W2.T @ (y - onehot(t)) * h * (1 - h)) @ x.T
