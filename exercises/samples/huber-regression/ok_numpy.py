# numpy style (Python operators, np.clip(r, -1, 1) written as max/min).
# part: adjoints
r_bar = max(-1, min(r, 1))
w_bar = r_bar * x
b_bar = r_bar
# part: grad_w
dL/dw = max(-1, min(r, 1)) * x
# part: grad_b
dL/db = max(-1, min(r, 1))
