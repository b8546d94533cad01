# layernorm_backward as numpy with keepdims sums (np.sum(..., axis=1, keepdims=True))
# part: adjoints
out_bar = G
beta_bar = sum(out_bar, axis=0)
gamma_bar = sum(out_bar * x_hat, axis=0)
x_hat_bar = out_bar * gamma
std_bar = sum(x_hat_bar * xc, axis=1) * (-1 / std**2)
var_bar = 0.5 / std * std_bar
xc_bar = x_hat_bar / std + 2 * xc * (1/D * var_bar)
mu_bar = -1 * sum(xc_bar, axis=1)
X_bar = xc_bar + 1/D * mu_bar
# part: grad_X
dL/dX = (1 / D) / std * (D * G * gamma - sum(G * gamma, axis=1) - x_hat * sum(G * gamma * x_hat, axis=1))
# part: grad_gamma
dL/dgamma = sum(G * x_hat, axis=0)
