# numpy style: binary = margins > 0 (true class masked); binary[range(N), y] = -binary.sum(1)
# part: adjoints
M_bar = (1 - onehot(y)) / N
S_bar = M_bar * relu'(S - pick(S, y) + 1) - onehot(y) * sum(M_bar * relu'(S - pick(S, y) + 1), axis=1)
W_bar = X.T @ S_bar + 2 * lambda * W
# part: grad_W
dL/dW = X.T @ ((relu'(S - pick(S, y) + 1) * (1 - onehot(y)) - onehot(y) * sum((1 - onehot(y)) * relu'(S - pick(S, y) + 1), axis=1)) / N) + 2 * lambda * W
