# numpy style: dw = dz * x + reg1 * np.sign(w) + 2 * reg2 * w, one weight per line
# part: adjoints
E_bar = 1
z_bar = z - t
w1_bar = z_bar * x1 + lambda1 * sign(w1) + 2 * lambda2 * w1
w2_bar = z_bar * x2 + lambda1 * sign(w2) + 2 * lambda2 * w2
# part: grad_w
dL/dw1 = (z - t) * x1 + lambda1 * sign(w1) + 2 * lambda2 * w1
# part: steps
dL/dw1 = d/dw1 [ 1/2*(w1*x1 + w2*x2 - t)^2 + lambda1*(abs(w1) + abs(w2)) + lambda2*(w1^2 + w2^2) ]
       = (w1*x1 + w2*x2 - t)*d/dw1 [ w1*x1 + w2*x2 - t ] + lambda1*d/dw1 [ abs(w1) ] + lambda2*d/dw1 [ w1^2 ]
       = (w1*x1 + w2*x2 - t)*x1 + lambda1*sign(w1) + 2*lambda2*w1
