"""``nngrade demo``: the lecture's two networks, trained by the reference engine in a few seconds.

A smoke test anyone can run after installing: it exercises the whole engine
(matmul, activations, reductions, backward, SGD) on the XOR network and on
the two-layer ReLU network, and prints the losses falling.
"""

from __future__ import annotations

import time

import click
import numpy as np

from nngrade.reference.course.backprop import XOR_X, XOR_Y, xor_loss
from nngrade.reference.engine import Tensor, no_grad
from nngrade.reference.nn import SGD


def train_xor_demo(seed: int, epochs: int = 10000, lr: float = 0.5) -> list[tuple[int, float]]:
    """The 2-10-1 sigmoid network without biases on the four XOR examples; (epoch, loss) pairs."""
    rng = np.random.default_rng(seed)
    w1 = Tensor(rng.normal(size=(2, 10)), requires_grad=True)
    w2 = Tensor(rng.normal(size=(10, 1)), requires_grad=True)
    opt = SGD([w1, w2], lr=lr)
    history = []
    for epoch in range(epochs):
        loss = xor_loss(XOR_X, XOR_Y, w1, w2)
        loss.backward()
        opt.step()
        opt.zero_grad()
        if epoch % max(1, epochs // 5) == 0 or epoch == epochs - 1:
            history.append((epoch, loss.item()))
    with no_grad():
        outputs = ((Tensor(XOR_X) @ w1).sigmoid() @ w2).sigmoid().data.ravel()
    history.append((epochs, float(np.abs(np.round(outputs) - XOR_Y.ravel()).sum())))
    return history


def train_two_layer_demo(seed: int, steps: int = 500, lr: float = 1e-6) -> list[tuple[int, float]]:
    """The lecture's x (64x1000) -> ReLU(100) -> 10 network on random data; (step, loss) pairs."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(64, 1000))
    y = rng.normal(size=(64, 10))
    w1 = Tensor(rng.normal(size=(1000, 100)), requires_grad=True)
    w2 = Tensor(rng.normal(size=(100, 10)), requires_grad=True)
    opt = SGD([w1, w2], lr=lr)
    history = []
    for step in range(steps):
        y_pred = (x @ w1).relu() @ w2
        loss = ((y_pred - y) ** 2).sum()
        loss.backward()
        opt.step()
        opt.zero_grad()
        if step % max(1, steps // 5) == 0 or step == steps - 1:
            history.append((step, loss.item()))
    return history


@click.command("demo")
@click.option("--seed", default=0, show_default=True, help="Seed of the numpy Generator.")
@click.option("--epochs", default=10000, show_default=True, help="XOR training epochs.")
@click.option("--steps", default=500, show_default=True, help="Two-layer network training steps.")
def demo_command(seed: int, epochs: int, steps: int) -> None:
    """Train the lecture's XOR and two-layer ReLU networks with the reference engine."""
    start = time.perf_counter()
    click.echo("XOR network 2-10-1, sigmoid, no biases, lr 0.5, full batch:")
    history = train_xor_demo(seed, epochs)
    for epoch, loss in history[:-1]:
        click.echo(f"  epoch {epoch:>6}  loss {loss:.6f}")
    wrong = int(history[-1][1])
    click.echo(f"  rounded outputs wrong on {wrong} of 4 inputs")
    click.echo("Two-layer ReLU network 1000-100-10 on 64 random examples, lr 1e-6:")
    for step, loss in train_two_layer_demo(seed, steps):
        click.echo(f"  step {step:>5}  loss {loss:.4g}")
    click.echo(f"done in {time.perf_counter() - start:.1f} s")
