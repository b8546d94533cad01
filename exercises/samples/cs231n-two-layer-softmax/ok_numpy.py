# numpy style: dscores = probs; dscores[range(N), y] -= 1; dscores /= N; dhidden[hidden <= 0] = 0
# part: adjoints
S_bar = (softmax(S, axis=1) - onehot(y)) / N
W2_bar = H1.T @ S_bar + 2 * lambda * W2
b2_bar = sum(S_bar, axis=0)
H1_bar = S_bar @ W2.T
Z1_bar = H1_bar * relu'(Z1)
W1_bar = X.T @ Z1_bar + 2 * lambda * W1
b1_bar = sum(Z1_bar, axis=0)
# part: grad_W2
dL/dW2 = H1.T @ ((softmax(S, axis=1) - onehot(y)) / N) + 2 * lambda * W2
# part: grad_b1
dL/db1 = sum((((softmax(S, axis=1) - onehot(y)) / N) @ W2.T) * relu'(Z1), axis=0)
