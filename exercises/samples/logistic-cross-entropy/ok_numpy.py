# numpy style (Python operators); dz = y - t written as the chain.
# part: adjoints
y_bar = -t / y + (1 - t) / (1 - y)
z_bar = y_bar * y * (1 - y)
w_bar = z_bar * x
b_bar = z_bar
# part: grad_w
dL/dw = (sigma(w*x + b) - t) * x
# part: grad_b
dL/db = sigma(w*x + b) - t
# part: steps
dL/dw = d/dw [ -t * log(sigma(w*x + b)) - (1 - t) * log(1 - sigma(w*x + b)) ]
      = (sigma(w*x + b) - t) * x
