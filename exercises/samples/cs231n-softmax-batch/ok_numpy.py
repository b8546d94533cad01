# numpy style: dscores = probs; dscores[range(N), y] -= 1; dscores /= N; dW = X.T.dot(dscores) + 2*reg*W
# part: adjoints
P_bar = -onehot(y) / (N * pick(P, y))
S_bar = (P - onehot(y)) / N
W_bar = X.T @ S_bar + 2 * lambda * W
# part: grad_W
dL/dW = X.T @ ((P - onehot(y)) / N) + 2 * lambda * W
