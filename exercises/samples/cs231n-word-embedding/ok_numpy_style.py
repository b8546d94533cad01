# np.add.at(dW, x, dout) is X.T @ dout with X the one-hot matrix of x
# part: adjoints
out_bar = G
W_bar = X.T @ out_bar
# part: grad_W
dL/dW = (G.T @ X).T
