# da = dnext_h * (1 - next_h**2); dx = da @ W_x.T; dprev_h = da @ W_h.T; ...
# part: adjoints
h_bar = G
a_bar = h_bar * (1 - h**2)
x_bar = a_bar @ W_x.T
h_prev_bar = a_bar @ W_h.T
W_x_bar = x.T @ a_bar
W_h_bar = h_prev.T @ a_bar
b_bar = sum(a_bar, axis=0)
# part: grad_W_h
dL/dW_h = h_prev.T @ (G * (1 - h**2))
# part: grad_h_prev
dL/dh_prev = (G * (1 - h**2)) @ W_h.T
