# numpy style: dscores = probs.copy(); dscores[y] -= 1; dW = np.outer(dscores, x)
# part: adjoints
p_bar = -onehot(y) / pick(p, y)
s_bar = p - onehot(y)
W_bar = s_bar @ x.T
# part: grad_W
dL/dW = (p - onehot(y)) @ x.T
