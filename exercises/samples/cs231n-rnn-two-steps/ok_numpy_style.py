# rnn_backward's loop, unrolled: dprev_h carried from step 2 into step 1's dh
# part: adjoints
h2_bar = G2
a2_bar = h2_bar * (1 - h2**2)
W_x_bar = x1.T @ a1_bar + x2.T @ a2_bar
W_h_bar = h0.T @ a1_bar + h1.T @ a2_bar
b_bar = sum(a2_bar, axis=0) + sum(a1_bar, axis=0)
h1_bar = G1 + a2_bar @ W_h.T
a1_bar = h1_bar * (1 - h1**2)
h0_bar = a1_bar @ W_h.T
# part: grad_W_h
dL/dW_h = h1.T @ a2_bar + h0.T @ a1_bar
