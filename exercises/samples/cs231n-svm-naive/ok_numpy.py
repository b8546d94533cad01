# numpy style: the loop of svm_loss_naive, `if margin > 0: dW[:, j] += x; dW[:, y] -= x`
# part: adjoints
m2_bar = relu'(m2)
m3_bar = relu'(m3)
s2_bar = m2_bar
s3_bar = m3_bar
s1_bar = -1 * m2_bar - 1 * m3_bar
# part: grad_s1
dL/ds1 = -relu'(s2 - s1 + 1) - relu'(s3 - s1 + 1)
# part: grad_s2
dL/ds2 = relu'(s2 - s1 + 1)
