# batchnorm_backward, the assignment's staged numpy (dxhat, dsqrtvar, dvar, dxmu, dmu, dx),
# written as adjoints; np.sum(..., axis=0) as sum(..., axis=0)
# part: adjoints
out_bar = G
beta_bar = sum(out_bar, axis=0)
gamma_bar = sum(out_bar * x_hat, axis=0)
x_hat_bar = out_bar * gamma
std_bar = sum(x_hat_bar * xc, axis=0) * (-1 / std**2)
var_bar = 0.5 / std * std_bar
xc_bar = x_hat_bar / std + 2 * xc * (1/N * var_bar)
mu_bar = -1 * sum(xc_bar, axis=0)
X_bar = xc_bar + 1/N * mu_bar
# part: grad_X
dL/dX = (1 / N) * gamma / std * (N * G - sum(G, axis=0) - x_hat * sum(G * x_hat, axis=0))
# part: grad_gamma
dL/dgamma = sum(G * x_hat, axis=0)
# part: grad_beta
dL/dbeta = sum(G, axis=0)
