# numpy style: dz = dh * (1 - h**2); dW = dz @ x.T; dx = W.T @ dz
# part: adjoints
h_bar = h - t
z_bar = h_bar * (1 - h**2)
W_bar = z_bar @ x.T
b_bar = z_bar
x_bar = W.T @ z_bar
# part: grad_W
dL/dW = ((h - t) * (1 - h**2)) @ x.T
# part: grad_x
dL/dx = W.T @ ((h - t) * (1 - h**2))
