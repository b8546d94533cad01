# dropout_backward: dx = dout * mask (the mask already holds the 1/p)... written out in full
# part: adjoints
out_bar = G
X_bar = (1 / p) * mask * out_bar
# part: grad_X
dL/dX = G * (mask / p)
