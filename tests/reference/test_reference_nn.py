"""The small framework: modules, dropout, losses, SGD, and the lecture's networks learning."""

from __future__ import annotations

import numpy as np
import pytest

from nngrade.reference import nn
from nngrade.reference.engine import Tensor
from nngrade.reference.gradcheck import gradcheck


def test_linear_shapes_seeding_and_bias_option() -> None:
    layer = nn.Linear(3, 2, rng=7)
    again = nn.Linear(3, 2, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(layer.weight.data, again.weight.data)
    assert layer.weight.shape == (3, 2) and layer.bias.shape == (2,)
    assert np.all(np.abs(layer.weight.data) <= 1 / np.sqrt(3))
    x = np.ones((5, 3))
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data + layer.bias.data)
    no_bias = nn.Linear(3, 2, bias=False, rng=0)
    assert no_bias.bias is None and no_bias.parameters() == [no_bias.weight]


def test_linear_gradients() -> None:
    layer = nn.Linear(4, 3, rng=0)
    x = np.random.default_rng(1).normal(size=(6, 4))
    gradcheck(lambda w, b: x @ w + b, layer.weight, layer.bias)


def test_sequential_collects_parameters_in_order() -> None:
    net = nn.Sequential(nn.Linear(2, 4, rng=0), nn.Tanh(), nn.Linear(4, 1, rng=1), nn.Sigmoid())
    params = net.parameters()
    assert params == [net[0].weight, net[0].bias, net[2].weight, net[2].bias]
    out = net(np.zeros((3, 2)))
    assert out.shape == (3, 1)
    out.sum().backward()
    assert all(p.grad is not None for p in params)
    net.zero_grad()
    assert all(p.grad is None for p in params)


def test_dropout_train_and_eval_modes() -> None:
    drop = nn.Dropout(0.25, rng=0)
    x = Tensor(np.ones((200, 50)), requires_grad=True)
    out = drop(x)
    kept = drop.mask
    assert kept.dtype == bool and kept.shape == x.shape
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(out.data, np.where(kept, 1 / 0.75, 0.0))
    out.sum().backward()
    np.testing.assert_allclose(x.grad, np.where(kept, 1 / 0.75, 0.0))
    net = nn.Sequential(nn.Linear(50, 50, rng=0), drop)
    net.eval()
    assert not drop.training
    assert drop(x) is x
    net.train()
    assert drop.training
    same = nn.Dropout(0.25, rng=0)
    same(x)
    np.testing.assert_array_equal(same.mask, kept)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_dropout_rejects_p_outside_0_1(p: float) -> None:
    with pytest.raises(ValueError):
        nn.Dropout(p)


def test_mse_is_the_lectures_half_mean_over_rows() -> None:
    y_pred = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]])
    y = np.zeros((3, 2))
    assert nn.mse_loss(Tensor(y_pred), y).item() == pytest.approx(30.0 / 6.0)
    gradcheck(lambda t: nn.mse_loss(t, y), y_pred)


def test_cross_entropy_from_probabilities() -> None:
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    targets = np.array([[1.0, 0, 0], [0, 0, 1.0]])
    expected = -(np.log(0.7) + np.log(0.8)) / 2
    assert nn.cross_entropy(Tensor(probs), targets).item() == pytest.approx(expected)
    assert nn.cross_entropy(Tensor(probs[0]), targets[0]).item() == pytest.approx(-np.log(0.7))
    gradcheck(lambda t: nn.cross_entropy(t, targets), probs)
    # a zero probability where the target is zero contributes nothing
    assert nn.cross_entropy(Tensor([1.0, 0.0]), [1.0, 0.0]).item() == 0.0


def test_cross_entropy_from_logits_matches_softmax_then_cross_entropy() -> None:
    logits = np.random.default_rng(0).normal(size=(4, 5)) * 3
    labels = np.array([0, 4, 2, 2])
    one_hot = np.eye(5)[labels]
    via_probs = nn.cross_entropy(Tensor(logits).softmax(), one_hot).item()
    assert nn.cross_entropy_with_logits(Tensor(logits), labels).item() == pytest.approx(via_probs)
    assert nn.cross_entropy_with_logits(Tensor(logits), one_hot).item() == pytest.approx(via_probs)
    gradcheck(lambda t: nn.cross_entropy_with_logits(t, labels), logits)
    huge = Tensor(np.array([[1e4, -1e4]]))
    assert np.isfinite(nn.cross_entropy_with_logits(huge, np.array([1])).item())


def test_sgd_plain_and_momentum() -> None:
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    data = w.data
    opt = nn.SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.data, [0.8, -1.6])
    assert w.data is data  # updated in place
    opt.zero_grad()
    assert w.grad is None
    opt.step()  # no gradient: nothing happens
    np.testing.assert_allclose(w.data, [0.8, -1.6])

    v = Tensor(np.array([1.0]), requires_grad=True)
    opt = nn.SGD([v], lr=0.1, momentum=0.9)
    for _ in range(2):
        opt.zero_grad()
        (v * 1.0).sum().backward()  # gradient 1 each step
        opt.step()
    np.testing.assert_allclose(v.data, [1.0 - 0.1 - 0.1 * 1.9])


def test_xor_network_learns() -> None:
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    rng = np.random.default_rng(3)
    w1 = Tensor(rng.normal(size=(2, 10)), requires_grad=True)
    w2 = Tensor(rng.normal(size=(10, 1)), requires_grad=True)
    opt = nn.SGD([w1, w2], lr=0.5)
    losses = []
    for _ in range(5000):
        a2 = ((x @ w1).sigmoid() @ w2).sigmoid()
        loss = 0.5 * ((a2 - y) ** 2).sum()
        loss.backward()
        opt.step()
        opt.zero_grad()
        losses.append(loss.item())
    assert losses[-1] < 0.02 < losses[0]
    np.testing.assert_array_equal(np.round(a2.data), y)


def test_two_layer_relu_network_learns() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 100)), rng.normal(size=(32, 5))
    w1 = Tensor(rng.normal(size=(100, 40)), requires_grad=True)
    w2 = Tensor(rng.normal(size=(40, 5)), requires_grad=True)
    opt = nn.SGD([w1, w2], lr=1e-5)
    first = None
    for _ in range(300):
        loss = (((x @ w1).relu() @ w2 - y) ** 2).sum()
        loss.backward()
        opt.step()
        opt.zero_grad()
        first = first if first is not None else loss.item()
    assert loss.item() < 1e-3 * first


def test_a_module_network_with_biases_learns_xor() -> None:
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    labels = np.array([0, 1, 1, 0])
    net = nn.Sequential(nn.Linear(2, 8, rng=0), nn.Tanh(), nn.Linear(8, 2, rng=1))
    opt = nn.SGD(net.parameters(), lr=0.3, momentum=0.9)
    for _ in range(300):
        loss = nn.cross_entropy_with_logits(net(x), labels)
        loss.backward()
        opt.step()
        opt.zero_grad()
    assert loss.item() < 0.05
    np.testing.assert_array_equal(net(x).data.argmax(axis=1), labels)
