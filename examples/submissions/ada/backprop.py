"""Backpropagation (反向传播) by hand.

Backpropagation is the chain rule (链式法则) applied layer by layer, from the
loss back to the first weights: each layer receives the gradient of the
loss with respect to its output and passes back the gradient with respect
to its input, reusing the values the forward pass computed. Deriving it by
hand once, as here, is what makes automatic differentiation (autodiff.py)
understandable.

Shapes follow the lecture: a batch of n inputs is an (n, d) array, and
``x @ w`` is one fully connected layer without a bias.
"""

import numpy as np

# The XOR data set: the four inputs and their targets.
XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=float)


def _sigmoid(z):
    """The sigmoid σ(z) = 1 / (1 + e^(-z)) that the XOR network uses, elementwise.

    It is the sigmoid of activations.py; a module may import another
    (``from activations import sigmoid``). This answer key writes it out so
    that the file grades on its own, using the identity
    σ(z) = (1 + tanh(z/2)) / 2: it never overflows and costs fewer array
    operations than the e^(-|z|) form, which shows over 20000 epochs.
    """
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


def forward(x, w1, w2):
    """The forward pass (前向传播) of the lecture's two-layer network; returns (h, a, y_pred).

    h = x @ w1 (hidden pre-activation), a = relu(h) (hidden activation),
    y_pred = a @ w2. With x (n, d_in), w1 (d_in, hidden) and w2
    (hidden, d_out): h and a are (n, hidden), y_pred is (n, d_out). The
    intermediate values are returned because the backward pass needs them.
    """
    h = x @ w1
    a = np.maximum(h, 0)
    y_pred = a @ w2
    return h, a, y_pred


def backward(x, y, w1, w2):
    """Forward pass, loss and backward pass; returns (loss, grad_w1, grad_w2).

    loss = sum((y_pred - y)^2), a float. Going backwards with the chain rule
    (ᵀ is the transpose, · the matrix product, ⊙ the elementwise product):
        ∂L/∂y_pred = 2 (y_pred - y)
        ∂L/∂w2     = aᵀ · ∂L/∂y_pred
        ∂L/∂a      = ∂L/∂y_pred · w2ᵀ
        ∂L/∂h      = ∂L/∂a ⊙ relu'(h)        (relu'(h) = 1 where h > 0, else 0)
        ∂L/∂w1     = xᵀ · ∂L/∂h
    Each gradient has the shape of the weight it belongs to. Every weight
    gradient is "input of the layer, transposed, times the gradient at the
    layer's output".
    """
    h, a, y_pred = forward(x, w1, w2)
    loss = float(np.sum((y_pred - y) ** 2))
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = a.T @ grad_y_pred
    grad_a = grad_y_pred @ w2.T
    grad_h = grad_a * (h > 0)
    grad_w1 = x.T @ grad_h
    return loss, grad_w1, grad_w2


def xor_grads(x, y, w1, w2):
    """Gradients of the lecture's XOR network; returns (grad_w1, grad_w2).

    Network: a1 = σ(x @ w1), a2 = σ(a1 @ w2), no biases, with the loss
    L = 1/2 * sum((a2 - y)^2). Using σ'(z) = σ(z) (1 - σ(z)), written with
    the activations the forward pass already has, each layer's 残差 (δ, the
    gradient of L with respect to the layer's pre-activation) is:
        δ2    = (a2 - y) ⊙ a2 ⊙ (1 - a2)          ∂L/∂(a1 · w2)
        ∂L/∂w2 = a1ᵀ · δ2
        δ1    = (δ2 · w2ᵀ) ⊙ a1 ⊙ (1 - a1)        ∂L/∂(x · w1)
        ∂L/∂w1 = xᵀ · δ1
    (ᵀ is the transpose, · the matrix product, ⊙ the elementwise product.)
    """
    a1 = _sigmoid(x @ w1)
    a2 = _sigmoid(a1 @ w2)
    delta2 = (a2 - y) * a2 * (1.0 - a2)
    grad_w2 = a1.T @ delta2
    delta1 = (delta2 @ w2.T) * a1 * (1.0 - a1)
    grad_w1 = x.T @ delta1
    return grad_w1, grad_w2


def train_xor(hidden=10, epochs=20000, lr=0.5, seed=0):
    """Train the XOR network by full-batch gradient descent; returns (w1, w2).

    The weights start as standard normal draws from
    ``np.random.default_rng(seed)``, shapes (2, hidden) and (hidden, 1).
    They must not all start equal: identical hidden units receive identical
    gradients and stay identical forever (symmetry breaking, 打破对称性).
    Each epoch takes one step w <- w - lr * grad on all four examples. The
    trained network's rounded outputs on XOR_X equal XOR_Y, the XOR that a
    single perceptron could not compute.
    """
    rng = np.random.default_rng(seed)
    w1 = rng.normal(size=(2, hidden))
    w2 = rng.normal(size=(hidden, 1))
    for _ in range(epochs):
        grad_w1, grad_w2 = xor_grads(XOR_X, XOR_Y, w1, w2)
        w1 -= lr * grad_w1
        w2 -= lr * grad_w2
    return w1, w2
