# ruff: noqa: E501 - the variants are test data: each alternative stays on its line, as written
"""A generated class for the similarity tests, and the proof that its solutions are what they claim.

``make_class(n)`` writes n hand-ins the way students fill in the stubs of
``exercises/``: for each function a student picks one of several genuinely
independent implementations (different algorithms and numpy idioms, not
renamings of one another) or one of the classic buggy ones, writes it in
their own style (their own variable names, an input-conversion line or
not, their own comments, or none), and sometimes leaves a function, or a
whole module, as the stub. A few hand-ins are stub-only, one has a syntax
error, some are zipped, one uses Windows line endings and a Latin-1
coding line.

The choices follow a long-tailed distribution, as in a real class: most
students write the most natural form, a few write rarer ones. So two
honest students often share a short function token for token, which is
exactly what the report must not flag.

The tests below check the generator's claims against the reference engine:
every "correct" variant agrees with ``nngrade.reference.course`` and every
buggy one disagrees somewhere. (This runs the generator's own variants in
this process: they are test data written here, not student code.)
"""

from __future__ import annotations

import ast
import dataclasses
import io
import random
import re
import textwrap
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
EXERCISES = REPO / "exercises"
MODULES = ("perceptron", "activations", "losses", "gradient_descent", "backprop")


@dataclass(frozen=True)
class Variant:
    """One way to write a function's body (dedented), and whether it is right."""

    body: str
    correct: bool = True


def V(body: str, correct: bool = True) -> Variant:  # noqa: N802 - a table constructor
    return Variant(textwrap.dedent(body).strip("\n"), correct)


# For each function: the parameter a student may convert first ("cast"), then its variants,
# most natural first. The distribution over them is long-tailed (see WEIGHTS).
SOLUTIONS: dict[str, dict[str, tuple[str | None, list[Variant]]]] = {
    "perceptron": {
        "step": ("x", [
            V("return (np.asarray(x) > 0).astype(float)"),
            V("""
              x = np.asarray(x, dtype=float)
              return np.where(x > 0, 1.0, 0.0)
              """),
            V("return np.heaviside(x, 0.0)"),
            V("""
              out = np.zeros(np.shape(x))
              out[np.asarray(x) > 0] = 1
              return out
              """),
            V("return np.greater(x, 0).astype(int)"),
            V("return (np.sign(x) + 1) / 2", correct=False),
            V("return (np.asarray(x) >= 0).astype(float)", correct=False),
        ]),
        "perceptron": ("x", [
            V("return step(np.dot(x, w) - threshold)"),
            V("""
              weighted = np.asarray(x) @ np.asarray(w)
              return step(weighted - threshold)
              """),
            V("""
              total = np.sum(np.asarray(x) * np.asarray(w), axis=-1)
              return step(total - threshold)
              """),
            V("return (np.matmul(x, w) > threshold).astype(float)"),
            V("return step(np.dot(x, w) + threshold)", correct=False),
            V("return step(np.sum(np.asarray(x) * np.asarray(w)) - threshold)", correct=False),
        ]),
        "and_gate": (None, [
            V("""
              a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
              return perceptron(np.stack([a, b], axis=-1), np.array([@AW@, @AW@]), @AT@)
              """),
            V("return step(@AW@ * np.asarray(a) + @AW@ * np.asarray(b) - @AT@)"),
            V("""
              w1, w2, theta = @AW@, @AW@, @AT@
              return step(np.asarray(a) * w1 + np.asarray(b) * w2 - theta)
              """),
            V("""
              total = np.add(a, b)
              return (total > 1.5).astype(float)
              """),
            V("return step(np.asarray(a) + np.asarray(b) - 0.5)", correct=False),
        ]),
        "or_gate": (None, [
            V("""
              a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
              return perceptron(np.stack([a, b], axis=-1), np.array([@OW@, @OW@]), @OT@)
              """),
            V("return step(@OW@ * np.asarray(a) + @OW@ * np.asarray(b) - @OT@)"),
            V("""
              w1, w2, theta = @OW@, @OW@, @OT@
              return step(np.asarray(a) * w1 + np.asarray(b) * w2 - theta)
              """),
            V("""
              total = np.add(a, b)
              return (total > 0.5).astype(float)
              """),
            V("return step(np.asarray(a) + np.asarray(b) - 1.5)", correct=False),
        ]),
        "nand_gate": (None, [
            V("""
              a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
              return perceptron(np.stack([a, b], axis=-1), np.array([-@NW@, -@NW@]), -@NT@)
              """),
            V("return step(@NT@ - @NW@ * np.asarray(a) - @NW@ * np.asarray(b))"),
            V("return 1 - and_gate(a, b)"),
            V("""
              w1, w2, theta = -@NW@, -@NW@, -@NT@
              return step(np.asarray(a) * w1 + np.asarray(b) * w2 - theta)
              """),
            V("return step(np.asarray(a) + np.asarray(b) - 1.5)", correct=False),
        ]),
        "xor": (None, [
            V("return and_gate(nand_gate(a, b), or_gate(a, b))"),
            V("""
              s1 = nand_gate(a, b)
              s2 = or_gate(a, b)
              return and_gate(s1, s2)
              """),
            V("""
              not_both = nand_gate(a, b)
              return or_gate(and_gate(a, not_both), and_gate(b, not_both))
              """),
            V("""
              hidden = np.stack(np.broadcast_arrays(nand_gate(a, b), or_gate(a, b)), axis=-1)
              return perceptron(hidden, np.array([@AW@, @AW@]), @AT@)
              """),
            V("return or_gate(a, b)", correct=False),
            V("return and_gate(or_gate(a, b), and_gate(a, b))", correct=False),
        ]),
    },
    "activations": {
        "sigmoid": ("z", [
            V("""
              z = np.asarray(z, dtype=float)
              e = np.exp(-np.abs(z))
              return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
              """),
            V("return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))"),
            V("return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))"),
            V("""
              z = np.asarray(z, dtype=float)
              out = np.empty_like(z)
              pos = z >= 0
              out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
              ez = np.exp(z[~pos])
              out[~pos] = ez / (1.0 + ez)
              return out
              """),
            V("return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))", correct=False),
            V("""
              ez = np.exp(np.asarray(z, dtype=float))
              return ez / (1 + ez)
              """, correct=False),
        ]),
        "tanh": ("z", [
            V("return np.tanh(z)"),
            V("return 2 * sigmoid(2 * np.asarray(z, dtype=float)) - 1"),
            V("""
              z = np.asarray(z, dtype=float)
              e2 = np.exp(-2 * np.abs(z))
              return np.sign(z) * (1 - e2) / (1 + e2)
              """),
            V("""
              z = np.asarray(z, dtype=float)
              return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))
              """, correct=False),
        ]),
        "relu": ("z", [
            V("return np.maximum(z, 0)"),
            V("""
              z = np.asarray(z, dtype=float)
              return np.where(z > 0, z, 0.0)
              """),
            V("""
              z = np.asarray(z, dtype=float)
              return z * (z > 0)
              """),
            V("return np.clip(np.asarray(z, dtype=float), 0, None)"),
            V("""
              out = np.array(z, dtype=float)
              out[out < 0] = 0
              return out
              """),
            V("return (np.abs(z) + z) / 2"),
            V("return np.abs(z)", correct=False),
        ]),
        "sigmoid_prime": ("z", [
            V("""
              s = sigmoid(z)
              return s * (1 - s)
              """),
            V("return sigmoid(z) * sigmoid(-np.asarray(z, dtype=float))"),
            V("""
              e = np.exp(-np.abs(np.asarray(z, dtype=float)))
              return e / (1 + e) ** 2
              """),
            V("""
              z = np.asarray(z, dtype=float)
              return np.exp(-np.logaddexp(0.0, -z) - np.logaddexp(0.0, z))
              """),
            V("""
              s = sigmoid(z)
              return s * (1 - z)
              """, correct=False),
            V("""
              a = sigmoid(z)
              return a - a * a * a
              """, correct=False),
        ]),
        "tanh_prime": ("z", [
            V("return 1 - np.tanh(z) ** 2"),
            V("""
              t = np.tanh(np.asarray(z, dtype=float))
              return (1 - t) * (1 + t)
              """),
            V("return 4 * sigmoid_prime(2 * np.asarray(z, dtype=float))"),
            V("return 1 / np.cosh(np.clip(np.asarray(z, dtype=float), -350, 350)) ** 2"),
            V("return 1 - np.asarray(z, dtype=float) ** 2", correct=False),
        ]),
        "relu_prime": ("z", [
            V("return (np.asarray(z) > 0).astype(float)"),
            V("return np.where(np.asarray(z) > 0, 1.0, 0.0)"),
            V("return np.heaviside(np.asarray(z, dtype=float), 0.0)"),
            V("return np.greater(z, 0) * 1.0"),
            V("return (np.asarray(z) >= 0).astype(float)", correct=False),
            V("return np.sign(np.asarray(z, dtype=float))", correct=False),
        ]),
    },
    "losses": {
        "one_hot": ("labels", [
            V("""
              labels = np.asarray(labels)
              if {{np.any(labels < 0) or np.any(labels >= num_classes)|(labels < 0).any() or (labels >= num_classes).any()|np.any(np.logical_or(labels < 0, labels >= num_classes))|not np.all((labels >= 0) & (labels < num_classes))}}:
                  raise ValueError("label out of range")
              out = np.zeros({{(labels.shape[0], num_classes)|(len(labels), num_classes)|(labels.size, num_classes)}})
              out[{{np.arange(labels.shape[0])|np.arange(len(labels))|range(len(labels))}}, labels] = 1.0
              return out
              """),
            V("""
              labels = np.asarray(labels, dtype=int)
              if labels.min(initial=0) < 0 or labels.max(initial=0) >= num_classes:
                  raise ValueError(f"labels must lie in [0, {num_classes})")
              return np.eye(num_classes)[labels]
              """),
            V("""
              result = np.zeros((len(labels), num_classes))
              for row, label in enumerate(labels):
                  if not 0 <= label < num_classes:
                      raise ValueError("bad label %d" % label)
                  result[row, label] = 1
              return result
              """),
            V("""
              labels = np.asarray(labels)
              bad = (labels < 0) | (labels >= num_classes)
              if bad.any():
                  raise ValueError("a label is outside [0, num_classes)")
              return (labels[:, None] == np.arange(num_classes)[None, :]).astype(float)
              """),
            V("""
              labels = np.asarray(labels).astype(int)
              n = labels.size
              if n and (labels.min() < 0 or labels.max() > num_classes - 1):
                  raise ValueError("one_hot: label out of range")
              encoded = np.zeros(n * num_classes)
              encoded[np.arange(n) * num_classes + labels] = 1.0
              return encoded.reshape(n, num_classes)
              """),
            V("""
              labels = np.asarray(labels)
              out = np.zeros((labels.shape[0], num_classes))
              out[np.arange(labels.shape[0]), labels] = 1.0
              return out
              """, correct=False),
        ]),
        "mse": ("y_pred", [
            V("""
              m = {{len(y)|np.shape(y)[0]|y.shape[0]}}
              return np.sum((np.asarray(y) - np.asarray(y_pred)) ** 2) {{/ (2 * m)|/ 2 / m|* 0.5 / m|/ (m * 2)}}
              """),
            V("""
              diff = np.asarray(y_pred, dtype=float) - np.asarray(y, dtype=float)
              return float(np.sum(diff * diff)) / (2.0 * diff.shape[0])
              """),
            V("return 0.5 * np.sum(np.square(np.subtract(y, y_pred))) / len(y)"),
            V("""
              total = 0.0
              for p, t in zip(np.asarray(y_pred, dtype=float), np.asarray(y, dtype=float)):
                  total += np.sum((t - p) ** 2)
              return total / (2 * len(y))
              """),
            V("""
              y_pred = np.asarray(y_pred, dtype=float)
              y = np.asarray(y, dtype=float)
              return np.dot((y - y_pred).ravel(), (y - y_pred).ravel()) / (2 * y.shape[0])
              """),
            V("""
              err = np.subtract(y_pred, y, dtype=float)
              return 0.5 * np.linalg.norm(err.ravel()) ** 2 / len(err)
              """),
            V("return np.mean((np.asarray(y) - np.asarray(y_pred)) ** 2) / 2", correct=False),
            V("return np.sum((np.asarray(y) - np.asarray(y_pred)) ** 2) / len(y)",
              correct=False),
        ]),
        "softmax": ("v", [
            V("""
              v = np.asarray(v, dtype=float)
              shifted = v - {{np.max(v, axis=axis, keepdims=True)|np.amax(v, axis=axis, keepdims=True)|np.expand_dims(np.max(v, axis=axis), axis)}}
              e = np.exp(shifted)
              return e / {{np.sum(e, axis=axis, keepdims=True)|np.expand_dims(e.sum(axis=axis), axis)|e.sum(axis=axis, keepdims=True)}}
              """),
            V("""
              v = np.asarray(v, dtype=float)
              ex = np.exp(v - v.max(axis=axis, keepdims=True))
              return ex / ex.sum(axis=axis, keepdims=True)
              """),
            V("""
              v = np.asarray(v, dtype=float)
              m = np.max(v, axis=axis, keepdims=True)
              log_z = m + np.log(np.sum(np.exp(v - m), axis=axis, keepdims=True))
              return np.exp(v - log_z)
              """),
            V("""
              v = np.moveaxis(np.asarray(v, dtype=float), axis, -1)
              z = v - v.max(axis=-1)[..., None]
              e = np.exp(z)
              return np.moveaxis(e / e.sum(axis=-1)[..., None], -1, axis)
              """),
            V("""
              e = np.exp(np.asarray(v, dtype=float))
              return e / np.sum(e, axis=axis, keepdims=True)
              """, correct=False),
        ]),
        "cross_entropy": ("probs", [
            V("""
              probs = np.atleast_2d(probs)
              targets = np.atleast_2d(targets)
              return {{-np.sum(targets * np.log(probs)) / probs.shape[0]|-(targets * np.log(probs)).sum() / len(probs)|np.sum(-targets * np.log(probs)) / probs.shape[0]|-np.sum(targets * np.log(probs), axis=1).mean()}}
              """),
            V("""
              p = np.asarray(probs, dtype=float)
              t = np.asarray(targets, dtype=float)
              if p.ndim == 1:
                  p, t = p[None, :], t[None, :]
              return float(np.mean(-np.sum(t * np.log(p), axis=1)))
              """),
            V("""
              probs = np.atleast_2d(np.asarray(probs, dtype=float))
              targets = np.atleast_2d(np.asarray(targets, dtype=float))
              losses = []
              for p_row, t_row in zip(probs, targets):
                  losses.append(-np.dot(t_row, np.log(p_row)))
              return sum(losses) / len(losses)
              """),
            V("""
              p = np.asarray(probs, dtype=float).reshape(-1, np.shape(probs)[-1])
              t = np.asarray(targets, dtype=float).reshape(p.shape)
              per_row = -(t * np.log(p)).sum(axis=-1)
              return per_row.mean()
              """),
            V("""
              probs = np.atleast_2d(probs)
              targets = np.atleast_2d(targets)
              return -np.sum(targets * np.log10(probs)) / probs.shape[0]
              """, correct=False),
            V("return -np.mean(np.asarray(targets) * np.log(probs))", correct=False),
        ]),
    },
    "gradient_descent": {
        "numerical_gradient": ("x", [
            V("""
              x = np.asarray(x, dtype=float)
              grad = {{np.zeros_like(x)|np.zeros(x.shape)|np.empty_like(x)}}
              for i in {{range(x.size)|range(len(x.ravel()))|range(np.prod(x.shape, dtype=int))}}:
                  step = {{np.zeros(x.size)|np.zeros_like(x.ravel())|0.0 * x.ravel()}}
                  step[i] = h
                  step = step.reshape(x.shape)
                  grad.flat[i] = (f(x + step) - f(x - step)) {{/ (2 * h)|/ 2 / h|/ (h + h)|* 0.5 / h}}
              return grad
              """),
            V("""
              point = np.array(x, dtype=float)
              grad = np.zeros_like(point)
              for idx in np.ndindex(point.shape):
                  old = {{point[idx]|float(point[idx])|point[idx].copy()}}
                  point[idx] = old + h
                  up = f(point)
                  point[idx] = old - h
                  down = f(point)
                  point[idx] = old
                  grad[idx] = {{(up - down) / (2 * h)|(up - down) / 2 / h|0.5 * (up - down) / h}}
              return grad
              """),
            V("""
              x = np.asarray(x, dtype=float)
              flat = {{x.ravel()|x.flatten()|x.reshape(-1)}}
              out = {{np.empty(flat.size)|np.zeros(flat.size)|np.zeros(len(flat))}}
              for k in {{range(flat.size)|range(len(flat))}}:
                  e = {{np.zeros_like(flat)|np.zeros(flat.size)}}
                  e[k] = h
                  plus = f((flat + e).reshape(x.shape))
                  minus = f((flat - e).reshape(x.shape))
                  out[k] = {{(plus - minus) / (2.0 * h)|(plus - minus) / h / 2|0.5 * (plus - minus) / h}}
              return {{out.reshape(x.shape)|np.reshape(out, x.shape)|out.reshape(np.shape(x))}}
              """),
            V("""
              x = np.asarray(x, dtype=float)
              eye = {{np.eye(x.size) * h|h * np.identity(x.size)|np.diag(np.full(x.size, h))}}
              values = [(f(x + e.reshape(x.shape)) - f(x - e.reshape(x.shape))) {{/ (2 * h)|/ 2 / h|* 0.5 / h}}
                        for e in eye]
              return {{np.array(values).reshape(x.shape)|np.reshape(values, x.shape)|np.asarray(values, dtype=float).reshape(x.shape)}}
              """),
            V("""
              work = {{x.astype(float).copy()|np.array(x, dtype=float)|np.asarray(x, dtype=float).copy()}}
              grad = {{np.empty_like(work)|np.zeros_like(work)|np.zeros(work.shape)}}
              it = np.nditer(work, flags=["multi_index"])
              while not it.finished:
                  i = it.multi_index
                  saved = work[i]
                  work[i] = saved + h
                  f_plus = f(work)
                  work[i] = saved - h
                  f_minus = f(work)
                  work[i] = saved
                  grad[i] = {{(f_plus - f_minus) / (h + h)|(f_plus - f_minus) / (2 * h)|(f_plus - f_minus) / 2.0 / h}}
                  it.iternext()
              return grad
              """),
            V("""
              x = np.asarray(x, dtype=float)
              grad = {{np.zeros(x.shape)|np.zeros_like(x)|0.0 * x}}
              for i in range(x.shape[0]) if x.ndim == 1 else np.ndindex(x.shape):
                  d = {{np.zeros(x.shape)|np.zeros_like(x)}}
                  d[i] = h
                  grad[i] = {{(f(x + d) - f(x - d)) / 2 / h|(f(x + d) - f(x - d)) / (2 * h)|0.5 * (f(x + d) - f(x - d)) / h}}
              return grad
              """),
            V("""
              x = np.asarray(x, dtype=float)
              grad = np.zeros_like(x)
              base = f(x)
              for i in range(x.size):
                  step = np.zeros(x.size)
                  step[i] = h
                  grad.flat[i] = (f(x + step.reshape(x.shape)) - base) / h
              return grad
              """, correct=False),
        ]),
        "gradient_descent": ("x0", [
            V("""
              x = {{np.array(x0, dtype=float)|np.asarray(x0, dtype=float).copy()|x0.astype(float)|np.copy(x0).astype(float)|np.array(x0, dtype=float, copy=True)}}
              for _ in {{range(steps)|range(int(steps))|range(0, steps)}}:
                  x = {{x - lr * grad(x)|x - grad(x) * lr|x - lr * np.asarray(grad(x))|np.subtract(x, lr * grad(x))}}
              return x
              """),
            V("""
              x = {{np.copy(np.asarray(x0, dtype=float))|np.array(x0, dtype=float)|x0.astype(float)}}
              i = 0
              while {{i < steps|steps > i|i != steps}}:
                  x -= {{lr * np.asarray(grad(x))|lr * grad(x)|grad(x) * lr}}
                  i += 1
              return x
              """),
            V("""
              history = [{{np.asarray(x0, dtype=float)|np.array(x0, dtype=float)|x0.astype(float)}}]
              for _ in {{range(steps)|range(int(steps))}}:
                  current = history[-1]
                  history.append({{current - lr * grad(current)|current - grad(current) * lr|np.subtract(current, lr * grad(current))}})
              return {{history[-1]|history[steps]|history.pop()}}
              """),
            V("""
              def update(point):
                  return {{point - lr * grad(point)|point - grad(point) * lr|np.subtract(point, lr * grad(point))}}

              x = {{np.asarray(x0, dtype=float)|np.array(x0, dtype=float)|x0.astype(float)}}
              for _ in {{range(steps)|range(int(steps))}}:
                  x = update(x)
              return x
              """),
            V("""
              x = {{np.array(x0, dtype=float, copy=True)|np.copy(x0).astype(float)|x0.astype(float)}}
              for k in {{range(1, steps + 1)|range(steps)}}:
                  g = {{np.asarray(grad(x), dtype=float)|np.array(grad(x), dtype=float)|grad(x)}}
                  x = {{x - lr * g|x - g * lr|np.subtract(x, lr * g)}}
              return x
              """),
            V("""
              x = np.array(x0, dtype=float)
              for _ in range(steps - 1):
                  x = x - lr * grad(x)
              return x
              """, correct=False),
            V("""
              x = np.array(x0, dtype=float)
              for _ in range(steps):
                  x = x + lr * grad(x)
              return x
              """, correct=False),
        ]),
    },
    "backprop": {
        "_sigmoid": ("z", [
            V("return 1 / (1 + np.exp(-z))"),
            V("return (1 + np.tanh(np.asarray(z, dtype=float) / 2)) / 2"),
            V("""
              z = np.asarray(z, dtype=float)
              e = np.exp(-np.abs(z))
              return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
              """),
        ]),
        "forward": ("x", [
            V("""
              h = x @ w1
              a = {{np.maximum(h, 0)|np.maximum(0, h)|np.maximum(h, 0.0)|np.where(h > 0, h, 0)}}
              y_pred = a @ w2
              return h, a, y_pred
              """),
            V("""
              h = np.dot(x, w1)
              a = h * (h > 0)
              return h, a, np.dot(a, w2)
              """),
            V("""
              h = x.dot(w1)
              a = np.clip(h, 0, None)
              y_pred = a.dot(w2)
              return h, a, y_pred
              """),
            V("""
              hidden = np.matmul(x, w1)
              activated = np.where(hidden > 0, hidden, 0)
              output = np.matmul(activated, w2)
              return hidden, activated, output
              """),
            V("""
              h = x @ w1
              a = np.maximum(h, 0)
              return a, a, a @ w2
              """, correct=False),
        ]),
        "backward": ("x", [
            V("""
              h, a, y_pred = forward(x, w1, w2)
              loss = {{float(np.sum((y_pred - y) ** 2))|float(((y_pred - y) ** 2).sum())|np.sum(np.square(y_pred - y)).item()}}
              grad_y_pred = {{2 * (y_pred - y)|2.0 * (y_pred - y)|(y_pred - y) * 2}}
              grad_w2 = {{a.T @ grad_y_pred|np.transpose(a) @ grad_y_pred}}
              grad_a = grad_y_pred @ w2.T
              grad_h = {{grad_a * (h > 0)|grad_a * (h > 0).astype(float)|np.where(h > 0, grad_a, 0.0)}}
              grad_w1 = {{x.T @ grad_h|np.transpose(x) @ grad_h}}
              return loss, grad_w1, grad_w2
              """),
            V("""
              h = x.dot(w1)
              h_relu = np.maximum(h, 0)
              y_pred = h_relu.dot(w2)
              loss = np.square(y_pred - y).sum()
              grad_y_pred = 2.0 * (y_pred - y)
              grad_w2 = h_relu.T.dot(grad_y_pred)
              grad_h_relu = grad_y_pred.dot(w2.T)
              grad_h = grad_h_relu.copy()
              grad_h[h < 0] = 0
              grad_w1 = x.T.dot(grad_h)
              return float(loss), grad_w1, grad_w2
              """),
            V("""
              hidden_in = np.matmul(x, w1)
              hidden = np.where(hidden_in > 0, hidden_in, 0.0)
              out = np.matmul(hidden, w2)
              err = out - y
              delta_out = 2 * err
              dw2 = np.matmul(hidden.T, delta_out)
              delta_hidden = np.matmul(delta_out, w2.T) * (hidden_in > 0)
              dw1 = np.matmul(x.T, delta_hidden)
              return float(np.sum(err * err)), dw1, dw2
              """),
            V("""
              h, a, y_pred = forward(x, w1, w2)
              diff = y_pred - y
              loss = (diff ** 2).sum()
              d_pred = 2 * diff
              d_w2 = np.einsum("ni,nj->ij", a, d_pred)
              d_h = np.einsum("nj,ij->ni", d_pred, w2) * (h > 0)
              d_w1 = np.einsum("ni,nj->ij", x, d_h)
              return float(loss), d_w1, d_w2
              """),
            V("""
              h, a, y_pred = forward(x, w1, w2)
              loss = float(np.sum((y_pred - y) ** 2))
              grad_y_pred = y_pred - y
              grad_w2 = a.T @ grad_y_pred
              grad_h = (grad_y_pred @ w2.T) * (h > 0)
              return loss, x.T @ grad_h, grad_w2
              """, correct=False),
            V("""
              h, a, y_pred = forward(x, w1, w2)
              loss = float(np.sum((y_pred - y) ** 2))
              grad_y_pred = 2 * (y_pred - y)
              grad_w2 = a.T @ grad_y_pred
              grad_w1 = x.T @ (grad_y_pred @ w2.T)
              return loss, grad_w1, grad_w2
              """, correct=False),
        ]),
        "xor_grads": ("x", [
            V("""
              a1 = _sigmoid(x @ w1)
              a2 = _sigmoid(a1 @ w2)
              delta2 = {{(a2 - y) * a2 * (1 - a2)|(a2 - y) * (a2 * (1 - a2))|(a2 - y) * (a2 - a2 ** 2)}}
              grad_w2 = a1.T @ delta2
              delta1 = {{(delta2 @ w2.T) * a1 * (1 - a1)|(delta2 @ w2.T) * (a1 * (1 - a1))|delta2 @ w2.T * (a1 - a1 ** 2)}}
              grad_w1 = x.T @ delta1
              return grad_w1, grad_w2
              """),
            V("""
              hidden = _sigmoid(np.dot(x, w1))
              output = _sigmoid(np.dot(hidden, w2))
              d_out = (output - y) * output * (1.0 - output)
              d_hidden = np.dot(d_out, w2.T) * hidden * (1.0 - hidden)
              return np.dot(x.T, d_hidden), np.dot(hidden.T, d_out)
              """),
            V("""
              z1 = np.matmul(x, w1)
              a1 = _sigmoid(z1)
              z2 = np.matmul(a1, w2)
              a2 = _sigmoid(z2)
              dz2 = (a2 - y) * _sigmoid(z2) * (1 - _sigmoid(z2))
              dz1 = np.matmul(dz2, w2.T) * _sigmoid(z1) * (1 - _sigmoid(z1))
              return np.matmul(x.T, dz1), np.matmul(a1.T, dz2)
              """),
            V("""
              layer1 = _sigmoid(x @ w1)
              layer2 = _sigmoid(layer1 @ w2)
              error = layer2 - y
              grad_z2 = error * layer2 * (1 - layer2)
              grad_a1 = grad_z2 @ w2.T
              grad_z1 = grad_a1 * layer1 * (1 - layer1)
              return x.T @ grad_z1, layer1.T @ grad_z2
              """),
            V("""
              a1 = _sigmoid(x @ w1)
              a2 = _sigmoid(a1 @ w2)
              delta2 = a2 - y
              delta1 = (delta2 @ w2.T) * a1 * (1 - a1)
              return x.T @ delta1, a1.T @ delta2
              """, correct=False),
            V("""
              a1 = _sigmoid(x @ w1)
              a2 = _sigmoid(a1 @ w2)
              delta2 = (y - a2) * a2 * (1 - a2)
              delta1 = (delta2 @ w2.T) * a1 * (1 - a1)
              return x.T @ delta1, a1.T @ delta2
              """, correct=False),
        ]),
        "train_xor": (None, [
            V("""
              rng = np.random.default_rng(seed)
              w1 = {{rng.standard_normal((2, hidden))|rng.normal(size=(2, hidden))|rng.normal(0.0, 1.0, (2, hidden))}}
              w2 = {{rng.standard_normal((hidden, 1))|rng.normal(size=(hidden, 1))|rng.normal(0.0, 1.0, (hidden, 1))}}
              for _ in {{range(epochs)|range(int(epochs))}}:
                  g1, g2 = {{xor_grads(XOR_X, XOR_Y, w1, w2)|xor_grads(x=XOR_X, y=XOR_Y, w1=w1, w2=w2)}}
                  w1 = w1 - lr * g1
                  w2 = w2 - lr * g2
              return w1, w2
              """),
            V("""
              rng = np.random.default_rng(seed)
              w1 = rng.normal(size=(2, hidden))
              w2 = rng.normal(size=(hidden, 1))
              epoch = 0
              while epoch < epochs:
                  grad_w1, grad_w2 = xor_grads(XOR_X, XOR_Y, w1, w2)
                  w1 -= lr * grad_w1
                  w2 -= lr * grad_w2
                  epoch += 1
              return w1, w2
              """),
            V("""
              generator = np.random.default_rng(seed)
              weights = [generator.standard_normal((2, hidden)),
                         generator.standard_normal((hidden, 1))]
              for _ in range(epochs):
                  grads = xor_grads(XOR_X, XOR_Y, weights[0], weights[1])
                  weights = [w - lr * g for w, g in zip(weights, grads)]
              return weights[0], weights[1]
              """),
        ]),
    },
}

# The share of students choosing each variant, by its place in the list (long-tailed).
WEIGHTS = (0.42, 0.24, 0.14, 0.09, 0.06, 0.03, 0.02)
CASTS = (  # an optional first line converting the input, (share, template)
    (0.55, ""),
    (0.2, "{p} = np.asarray({p}, dtype=float)\n"),
    (0.12, "{p} = np.array({p}, dtype=np.float64)\n"),
    (0.08, "{p} = np.asarray({p}) * 1.0\n"),
    (0.05, "{p} = np.atleast_1d({p}).astype(float)\n"),
)
COMMENTS = ("# vectorised, no loop", "# 按照讲义的公式", "# see the lecture notes", "# TODO check",
            "# works for any shape", "# numerically stable", "# 我的实现", "# chain rule")
RENAMES = {"out": ("res", "result", "ans", "output"), "e": ("ex", "exp_term", "t"),
           "s": ("sig", "sg", "value"), "x": ("x",), "total": ("acc", "weighted_sum", "tot")}
STUB_SHARE = 0.08  # a function left as the stub
BUGGY_SHARE = 0.12  # a student writes one of the buggy variants


# ------------------------------------------------------------------ filling in stubs


def stub_text(module: str) -> str:
    return (EXERCISES / f"{module}.py").read_text(encoding="utf-8")


def _functions(tree: ast.Module) -> list[ast.FunctionDef]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            found.append(node)
    return found


def fill(stub: str, bodies: dict[str, str], keep_docstrings: bool = True,
         keep_todos: bool = False) -> str:
    """The stub with each named function's TODO lines and raise replaced by its body."""
    lines = stub.splitlines(keepends=True)
    edits: list[tuple[int, int, str]] = []  # (first line, last line) 0-based inclusive -> text
    for fn in _functions(ast.parse(stub)):
        last = fn.body[-1]
        if fn.name not in bodies or not isinstance(last, ast.Raise):
            continue
        indent = " " * last.col_offset
        first_code = fn.body[1] if len(fn.body) > 1 and isinstance(fn.body[0], ast.Expr) \
            else fn.body[0]
        doc_end = fn.body[0].end_lineno if first_code is not fn.body[0] else fn.lineno
        start = doc_end  # the line after the docstring (0-based index = doc_end)
        assert last.end_lineno is not None and doc_end is not None
        todo = "".join(lines[start:last.lineno - 1]) if keep_todos else ""
        body = textwrap.indent(bodies[fn.name], indent) + "\n"
        edits.append((start, last.end_lineno - 1, todo + body))
        if not keep_docstrings and first_code is not fn.body[0]:
            ds = fn.body[0]
            assert ds.end_lineno is not None
            edits.append((ds.lineno - 1, ds.end_lineno - 1, ""))
    for first, last_line, text in sorted(edits, reverse=True):
        lines[first:last_line + 1] = [text]
    return "".join(lines)


# ------------------------------------------------------------------ one student's style


def _pick(rng: random.Random, count: int) -> int:
    weights = WEIGHTS[:count] if count <= len(WEIGHTS) else WEIGHTS + (0.01,) * (count - 7)
    return rng.choices(range(count), weights=weights)[0]


# Gate weights and thresholds a student may pick: (w, threshold), each a valid perceptron.
AND_CHOICES = ((0.5, 0.7), (1.0, 1.5), (0.6, 1.0), (0.5, 0.8), (1.0, 1.2), (0.4, 0.6), (2.0, 3.0))
OR_CHOICES = ((0.5, 0.2), (1.0, 0.5), (0.6, 0.3), (0.5, 0.3), (1.0, 0.8), (0.4, 0.1), (2.0, 1.0))


@dataclass(frozen=True)
class Habits:
    """How one student writes numpy, whatever the function (drawn once per student)."""

    matmul: str = "@"  # "@", "np.dot" or "method" (a.dot(b))
    square: str = "pow"  # "pow" (x ** 2), "mul" (x * x) or "np.square"
    reduce: str = "function"  # "function" (np.sum(x)) or "method" (x.sum())
    constant: str = "left"  # "left" (2 * x) or "right" (x * 2)
    named_result: str = ""  # "" (return expr) or a name (name = expr; return name)
    dtype: str = "float"  # how dtype=float is spelled: "float", "np.float64" or "'float64'"
    compare: str = "name_left"  # "name_left" (z > 0) or "constant_left" (0 < z)
    temporary: str = ""  # "" or the name of a temporary for a return's inner expression
    order_seed: int | None = None  # operands of + and * in the order this student thinks of them
    gate_and: tuple[float, float] = AND_CHOICES[0]
    gate_or: tuple[float, float] = OR_CHOICES[0]
    gate_nand: tuple[float, float] = AND_CHOICES[0]


def draw_habits(rng: random.Random) -> Habits:
    def pick(options: tuple, weights: tuple) -> object:
        return rng.choices(options, weights=weights)[0]

    return Habits(
        matmul=str(pick(("@", "np.dot", "method"), (0.5, 0.3, 0.2))),
        square=str(pick(("pow", "mul", "np.square"), (0.6, 0.25, 0.15))),
        reduce=str(pick(("function", "method"), (0.65, 0.35))),
        constant=str(pick(("left", "right"), (0.75, 0.25))),
        named_result=str(pick(("", "result", "out", "res", "y", "ans"),
                              (0.6, 0.15, 0.1, 0.07, 0.04, 0.04))),
        dtype=str(pick(("float", "np.float64", "'float64'"), (0.7, 0.2, 0.1))),
        compare=str(pick(("name_left", "constant_left"), (0.85, 0.15))),
        temporary=str(pick(("", "tmp", "inner", "val", "t"), (0.65, 0.12, 0.1, 0.08, 0.05))),
        order_seed=rng.randrange(1 << 30),
        gate_and=rng.choices(AND_CHOICES, weights=WEIGHTS)[0],
        gate_or=rng.choices(OR_CHOICES, weights=WEIGHTS)[0],
        gate_nand=rng.choices(AND_CHOICES, weights=WEIGHTS)[0],
    )


def constants(body: str, habits: Habits) -> str:
    """Fill in the student's choice of gate weights and thresholds."""
    for mark, (w, t) in (("A", habits.gate_and), ("O", habits.gate_or), ("N", habits.gate_nand)):
        body = body.replace(f"@{mark}W@", repr(w)).replace(f"@{mark}T@", repr(t))
    return body


def _is_np(node: ast.expr, *names: str) -> bool:
    return (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id == "np" and node.attr in names)


class _WriteInHabits(ast.NodeTransformer):
    """Rewrite a body the way a student with these habits writes numpy (same meaning)."""

    REDUCTIONS = ("sum", "max", "min", "mean")

    SWAP_SHARE = 0.35  # of the sums and products of two non-constants a student writes b-first

    def __init__(self, habits: Habits) -> None:
        self.h = habits
        self.order = random.Random(habits.order_seed) if habits.order_seed is not None else None

    def _matmul(self, left: ast.expr, right: ast.expr) -> ast.expr:
        if self.h.matmul == "np.dot":
            return ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "dot", ast.Load()),
                            [left, right], [])
        if self.h.matmul == "method":
            return ast.Call(ast.Attribute(left, "dot", ast.Load()), [right], [])
        return ast.BinOp(left, ast.MatMult(), right)

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:  # noqa: N802 - ast's naming
        self.generic_visit(node)
        if isinstance(node.op, ast.MatMult):
            return self._matmul(node.left, node.right)
        if isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant) \
                and node.right.value == 2 and isinstance(node.left, ast.Name):
            if self.h.square == "mul":
                return ast.BinOp(node.left, ast.Mult(), ast.Name(node.left.id, ast.Load()))
            if self.h.square == "np.square":
                return ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "square", ast.Load()),
                                [node.left], [])
        if isinstance(node.op, (ast.Mult, ast.Add)):
            left_const = isinstance(node.left, ast.Constant)
            right_const = isinstance(node.right, ast.Constant)
            if isinstance(node.op, ast.Mult) and left_const != right_const \
                    and (self.h.constant == "right") == left_const:
                return ast.BinOp(node.right, ast.Mult(), node.left)
            if not left_const and not right_const and self.order is not None \
                    and self.order.random() < self.SWAP_SHARE:
                return ast.BinOp(node.right, type(node.op)(), node.left)
        return node

    FLIPPED = {ast.Gt: ast.Lt, ast.Lt: ast.Gt, ast.GtE: ast.LtE, ast.LtE: ast.GtE}

    def visit_Compare(self, node: ast.Compare) -> ast.expr:  # noqa: N802
        self.generic_visit(node)
        if len(node.ops) != 1 or type(node.ops[0]) not in self.FLIPPED:
            return node
        right = node.comparators[0]
        constant_left = isinstance(node.left, ast.Constant)
        if constant_left == isinstance(right, ast.Constant):
            return node
        if (self.h.compare == "constant_left") != constant_left:
            return ast.Compare(right, [self.FLIPPED[type(node.ops[0])]()], [node.left])
        return node

    def visit_keyword(self, node: ast.keyword) -> ast.keyword:  # noqa: N802
        self.generic_visit(node)
        value = node.value
        is_float = (isinstance(value, ast.Name) and value.id == "float") or \
            _is_np(value, "float64") or (isinstance(value, ast.Constant)
                                         and value.value == "float64")
        if node.arg == "dtype" and is_float:
            node.value = ast.parse(self.h.dtype, mode="eval").body
        return node

    def visit_Call(self, node: ast.Call) -> ast.expr:  # noqa: N802
        self.generic_visit(node)
        func = node.func
        if _is_np(func, "dot", "matmul") and len(node.args) == 2 and not node.keywords:
            return self._matmul(node.args[0], node.args[1])
        if isinstance(func, ast.Attribute) and func.attr == "dot" and len(node.args) == 1 \
                and not _is_np(func, "dot") and not node.keywords:
            return self._matmul(func.value, node.args[0])
        simple = (ast.Name, ast.Attribute, ast.Subscript)
        if self.h.reduce == "method" and _is_np(func, *self.REDUCTIONS) and node.args \
                and isinstance(node.args[0], simple) and not _is_np(node.args[0]):
            assert isinstance(func, ast.Attribute)
            return ast.Call(ast.Attribute(node.args[0], func.attr, ast.Load()),
                            node.args[1:], node.keywords)
        if self.h.reduce == "function" and isinstance(func, ast.Attribute) \
                and func.attr in self.REDUCTIONS and isinstance(func.value, simple) \
                and not (isinstance(func.value, ast.Name) and func.value.id == "np"):
            return ast.Call(ast.Attribute(ast.Name("np", ast.Load()), func.attr, ast.Load()),
                            [func.value, *node.args], node.keywords)
        return node


PURE_METHODS = frozenset({"dot", "sum", "max", "min", "mean", "reshape", "ravel", "copy",
                          "astype"})


def _names(node: ast.AST, ctx: type) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ctx)}


def _pure_assignment(stmt: ast.stmt) -> bool:
    """``names = expression`` whose calls have no effect that order could change."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
        return False
    target = stmt.targets[0]
    elements = target.elts if isinstance(target, ast.Tuple) else [target]
    if not all(isinstance(e, ast.Name) for e in elements):
        return False
    for node in ast.walk(stmt.value):
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.GeneratorExp)):
            return False
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                continue
            if isinstance(func, ast.Attribute) and (
                    func.attr in PURE_METHODS or _is_np(func, func.attr)):
                continue
            return False
    return True


class _Inline(ast.NodeTransformer):
    """Put an expression where one name was used."""

    def __init__(self, use: ast.Name, value: ast.expr) -> None:
        self.use, self.value = use, value

    def visit_Name(self, node: ast.Name) -> ast.expr:  # noqa: N802 - ast's naming
        return self.value if node is self.use else node


def _vary_statements(block: list[ast.stmt], order: random.Random) -> list[ast.stmt]:
    """Write a block's independent steps in another order, and sometimes inline a temporary
    used once in the very next step, as students do (same meaning)."""
    for stmt in block:
        for name in ("body", "orelse"):
            inner = getattr(stmt, name, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                setattr(stmt, name, _vary_statements(inner, order))
    block = list(block)
    i = 0
    while i + 1 < len(block):
        first, second = block[i], block[i + 1]
        if _pure_assignment(first) and _pure_assignment(second):
            w1, w2 = _names(first, ast.Store), _names(second, ast.Store)
            r1, r2 = _names(first, ast.Load), _names(second, ast.Load)
            if not (w1 & r2 or w2 & r1 or w1 & w2) and order.random() < 0.3:
                block[i], block[i + 1] = second, first
                i += 2
                continue
        if _pure_assignment(first) and isinstance(first, ast.Assign) \
                and isinstance(first.targets[0], ast.Name) \
                and isinstance(second, (ast.Assign, ast.Return)) and order.random() < 0.25:
            name = first.targets[0].id
            uses = [n for n in ast.walk(second) if isinstance(n, ast.Name) and n.id == name]
            later = [n for s in block[i + 2:] for n in ast.walk(s)
                     if isinstance(n, ast.Name) and n.id == name]
            if len(uses) == 1 and isinstance(uses[0].ctx, ast.Load) and not later \
                    and name not in _names(first.value, ast.Load):
                block[i + 1] = _Inline(uses[0], first.value).visit(second)
                del block[i]
                continue
        i += 1
    return block


_ALTERNATIVES = re.compile(r"\{\{(.*?)\}\}")


def choose(body: str, habits: Habits) -> str:
    """Pick one of each ``{{a|b|c}}`` (small choices a student makes, each on their own;
    so no alternative may hold a ``|`` of its own).

    Without an ``order_seed`` the first; with a seed under 100 (the test's habit sets)
    the n-th alternative rotates with the seed, so that every alternative gets tested;
    otherwise at random.
    """
    seed = habits.order_seed
    rng = random.Random(seed)
    counter = iter(range(1000))

    def pick(match: re.Match) -> str:
        options = match.group(1).split("|")
        occurrence = next(counter)
        if seed is None:
            return options[0]
        if seed < 100:
            return options[(seed + occurrence) % len(options)]
        return rng.choice(options)

    return _ALTERNATIVES.sub(pick, body)


def with_habits(body: str, habits: Habits) -> str:
    """A variant rewritten in a student's habits (unparsed, so in ast's formatting)."""
    body = choose(constants(body, habits), habits)
    tree = ast.parse("def _f():\n" + textwrap.indent(body, "    "))
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    statements = [_WriteInHabits(habits).visit(stmt) for stmt in function.body]
    if habits.order_seed is not None:
        statements = _vary_statements(statements, random.Random(habits.order_seed + 1))
    last = statements[-1]
    inner_kinds = (ast.Call, ast.BinOp, ast.Compare)
    if habits.temporary and isinstance(last, ast.Return) and isinstance(last.value, ast.Call) \
            and last.value.args and isinstance(last.value.args[0], inner_kinds):
        inner = last.value.args[0]
        last.value.args[0] = ast.Name(habits.temporary, ast.Load())
        statements[-1:] = [ast.Assign([ast.Name(habits.temporary, ast.Store())], inner,
                                      lineno=0), last]
    if habits.named_result and isinstance(last, ast.Return) and last.value is not None \
            and not isinstance(last.value, (ast.Name, ast.Tuple)) and len(statements) <= 3:
        statements[-1:] = [
            ast.Assign([ast.Name(habits.named_result, ast.Store())], last.value, lineno=0),
            ast.Return(ast.Name(habits.named_result, ast.Load())),
        ]
    module = ast.Module(statements, type_ignores=[])
    return ast.unparse(ast.fix_missing_locations(module))


def styled(body: str, cast: str | None, rng: random.Random,
           habits: Habits = Habits()) -> tuple[str, tuple[str, str]]:  # noqa: B008
    """A variant as one student writes it: habits, own names, a conversion line, comments.

    Also returns the program's form (the code in ast's formatting, and the conversion
    line), which names and comments do not change: two students with the same form wrote
    the same program.
    """
    body = with_habits(body, dataclasses.replace(habits, order_seed=rng.randrange(1 << 30)))
    form = body
    for name, options in RENAMES.items():
        new = rng.choice(options)
        if new != name:
            body = _rename(body, name, new)
    template = ""
    if cast is not None and not body.startswith(f"{cast} = "):
        template = rng.choices([c[1] for c in CASTS], weights=[c[0] for c in CASTS])[0]
        body = template.format(p=cast) + body
    if rng.random() < 0.3:
        body = rng.choice(COMMENTS) + "\n" + body
    if rng.random() < 0.2:
        first, _, rest = body.partition("\n")
        body = first + "  " + rng.choice(COMMENTS) + ("\n" + rest if rest else "")
    return body, (form, template)


def _rename(body: str, old: str, new: str) -> str:
    """Rename a local variable in a body (whole names only, never attributes)."""
    return re.sub(rf"(?<![\w.]){re.escape(old)}(?!\w)", new, body)


@dataclass
class Student:
    """One generated hand-in: module -> source, and which variant of each function it used."""

    name: str
    files: dict[str, str]
    choices: dict[str, dict[str, int | None]]  # module -> function -> variant (None: stub)


def make_module(module: str, rng: random.Random, habits: Habits,
                stub_only: bool = False) -> tuple[str, dict[str, int | None], tuple]:
    """One module as a student fills it in: its text, the variant of each function, and
    its form (the program, whatever the names, comments and layout)."""
    bodies: dict[str, str] = {}
    picked: dict[str, int | None] = {}
    forms = []
    for function, (cast, variants) in SOLUTIONS[module].items():
        if stub_only or rng.random() < STUB_SHARE:
            picked[function] = None
            forms.append((function, None))
            continue
        correct = [i for i, v in enumerate(variants) if v.correct]
        buggy = [i for i, v in enumerate(variants) if not v.correct]
        if buggy and rng.random() < BUGGY_SHARE:
            index = rng.choice(buggy)
        else:
            index = correct[_pick(rng, len(correct))]
        picked[function] = index
        bodies[function], form = styled(variants[index].body, cast, rng, habits)
        forms.append((function, form))
    text = fill(stub_text(module), bodies, keep_docstrings=rng.random() < 0.8,
                keep_todos=rng.random() < 0.25)
    return text, picked, tuple(forms)


def make_student(name: str, rng: random.Random, modules: tuple[str, ...] = MODULES,
                 stub_only: bool = False,
                 taken: dict[str, set[tuple]] | None = None) -> Student:
    """A student's hand-in. With ``taken``, no module is the same program as one already
    written by another independent student (a program identical to a classmate's is a
    copy as far as anyone can tell, so it cannot stand for an honest coincidence)."""
    files: dict[str, str] = {}
    choices: dict[str, dict[str, int | None]] = {}
    habits = draw_habits(rng)
    for module in modules:
        for _ in range(100):
            text, picked, form = make_module(module, rng, habits, stub_only)
            if stub_only or taken is None or form not in taken.setdefault(module, set()):
                break
        if taken is not None and not stub_only:
            taken[module].add(form)
        files[module], choices[module] = text, picked
    return Student(name, files, choices)


# ------------------------------------------------------------------ disguises of a copy


def rename_everything(source: str, rng: random.Random) -> str:
    """Rename every local name, parameter and helper (contract names must stay)."""
    import builtins
    import keyword
    import tokenize

    protected = set(dir(builtins)) | set(keyword.kwlist) | {"np", "numpy", "self"}
    for module in SOLUTIONS.values():
        protected |= set(module)
    tree = ast.parse(source)
    for node in ast.walk(tree):  # parameters are part of the contract: keep them
        if isinstance(node, ast.arg):
            protected.add(node.arg)
    protected |= {"XOR_X", "XOR_Y"}
    mapping: dict[str, str] = {}
    toks = list(tokenize.generate_tokens(io.StringIO(source).readline))
    out = []
    depth = 0
    for i, tok in enumerate(toks):
        prev = toks[i - 1].string if i else ""
        nxt = toks[i + 1].string if i + 1 < len(toks) else ""
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        keyword_argument = depth > 0 and nxt == "=" and prev in ("(", ",")
        if tok.type == tokenize.NAME and tok.string not in protected and prev != "." \
                and not keyword_argument:
            if tok.string not in mapping:
                mapping[tok.string] = f"v{rng.randrange(10**6)}_{len(mapping)}"
            out.append(tok._replace(string=mapping[tok.string]))
        else:
            out.append(tok)
    return tokenize.untokenize(out)


def reorder_functions(source: str, rng: random.Random) -> str:
    """Shuffle the top-level functions (imports and constants stay on top)."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    head_end = min(n.lineno for n in tree.body if isinstance(n, ast.FunctionDef)) - 1
    chunks = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            assert node.end_lineno is not None
            chunks.append("".join(lines[node.lineno - 1:node.end_lineno]))
    original = list(chunks)
    while chunks == original and len(chunks) > 1:
        rng.shuffle(chunks)
    return "".join(lines[:head_end]) + "\n\n".join(chunks) + "\n"


def restyle(source: str, rng: random.Random) -> str:
    """New comments, no docstrings, 2-space indents, other spacing and blank lines."""
    import tokenize

    tree = ast.parse(source)
    doc_lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Module)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                assert first.end_lineno is not None
                doc_lines.update(range(first.lineno, first.end_lineno + 1))
    kept = [line for n, line in enumerate(source.splitlines(), start=1) if n not in doc_lines]
    text = "\n".join(kept) + "\n"
    toks = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
            if t.type != tokenize.COMMENT]
    spaced = tokenize.untokenize([(t.type, t.string) for t in toks])  # new spacing throughout
    out = []
    for line in spaced.splitlines():
        stripped = line.lstrip(" ")
        depth = (len(line) - len(stripped)) // 4
        if not stripped.strip():
            continue
        if rng.random() < 0.25:
            out.append("  " * depth + rng.choice(COMMENTS))
        out.append("  " * depth + stripped)
        if stripped.startswith("return") and rng.random() < 0.5:
            out.append("")
    return "\n".join(out) + "\n"


DEAD_LINES = (
    "unused_{n} = np.zeros(3)",
    "if False:\n    print('debug {n}')",
    "tmp_{n} = [i * i for i in range(5)]",
    "_check_{n} = len(str({n})) > 100",
    "for _ in range(0):\n    pass",
)


def add_dead_code(source: str, rng: random.Random) -> str:
    """Unused statements inside functions and an unused helper at the end."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    inserts: list[tuple[int, str]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and isinstance(node.body[-1], ast.Return):
            ret = node.body[-1]
            pad = " " * ret.col_offset
            dead = rng.choice(DEAD_LINES).format(n=rng.randrange(1000))
            inserts.append((ret.lineno - 1, textwrap.indent(dead, pad) + "\n"))
    for at, text in sorted(inserts, reverse=True):
        lines.insert(at, text)
    helper = ("\n\ndef _helper_unused(values):\n    total = 0\n    for v in values:\n"
              "        total += v * 2\n    return total / max(len(values), 1)\n")
    return "".join(lines) + helper


def disguise_all(source: str, rng: random.Random) -> str:
    return add_dead_code(restyle(reorder_functions(rename_everything(source, rng), rng), rng),
                         rng)


DISGUISES = {
    "verbatim": lambda s, rng: s,
    "renamed": rename_everything,
    "reordered": reorder_functions,
    "restyled": restyle,
    "dead_code": add_dead_code,
    "all_disguises": disguise_all,
}


# ------------------------------------------------------------------ the class


@dataclass
class GeneratedClass:
    """The hand-ins, and which pairs are related (planted copies and their sources)."""

    students: dict[str, Student]
    planted: list[tuple[str, str, str, str]]  # (module, source, copier, disguise)
    cluster: tuple[str, tuple[str, ...]]  # (module, students sharing one source)
    stub_only: list[str]

    def related(self, module: str, a: str, b: str) -> bool:
        for mod, src, copier, _ in self.planted:
            if mod == module and {a, b} == {src, copier}:
                return True
        mod, members = self.cluster
        return mod == module and a in members and b in members


def make_class(n: int = 100, seed: int = 2026) -> GeneratedClass:
    """``n`` hand-ins with planted copies (one per disguise, per module) and one cluster."""
    rng = random.Random(seed)
    students: dict[str, Student] = {}
    stub_only = [f"s{i:03d}" for i in range(3)]
    taken: dict[str, set[tuple]] = {}
    for name in stub_only:
        students[name] = make_student(name, rng, stub_only=True)
    planted: list[tuple[str, str, str, str]] = []
    copiers = 0
    independent = n - len(stub_only) - len(DISGUISES) * len(MODULES) - 3
    for i in range(independent):
        name = f"u{i:03d}"
        students[name] = make_student(name, rng, taken=taken)
    # A copy is made of a classmate's finished module (every function written, none left
    # as the stub), and no student is copied twice.
    used: set[str] = set()

    def source_for(module: str) -> str:
        pool = sorted(k for k, st in students.items() if k.startswith("u") and k not in used
                      and all(v is not None for v in st.choices[module].values()))
        chosen = rng.choice(pool)
        used.add(chosen)
        return chosen

    for module in MODULES:
        for disguise, apply in DISGUISES.items():
            source = source_for(module)
            copier = f"c{copiers:03d}"
            copiers += 1
            student = make_student(copier, rng, taken=taken)
            student.files[module] = apply(students[source].files[module], rng)
            students[copier] = student
            planted.append((module, source, copier, disguise))
    # three more students hand in one source's activations, each disguised differently
    source = source_for("activations")
    members = [source]
    for j, disguise in enumerate(("renamed", "restyled", "all_disguises")):
        name = f"k{j:03d}"
        student = make_student(name, rng, taken=taken)
        student.files["activations"] = DISGUISES[disguise](
            students[source].files["activations"], rng)
        students[name] = student
        members.append(name)
    return GeneratedClass(students, planted, ("activations", tuple(members)), stub_only)


def write_class(generated: GeneratedClass, folder: Path, rng_seed: int = 7) -> Path:
    """The hand-ins as a grader reads them: folders, zips, exercises/ inside, odd encodings."""
    rng = random.Random(rng_seed)
    folder.mkdir(parents=True, exist_ok=True)
    for k, (name, student) in enumerate(sorted(generated.students.items())):
        layout = k % 5
        files = {f"{m}.py": text for m, text in student.files.items()}
        if layout == 0:  # a zip of the folder, as a file manager makes it
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as zf:
                for fname, text in files.items():
                    zf.writestr(f"{name}/exercises/{fname}", text)
            (folder / f"{name}.zip").write_bytes(buf.getvalue())
            continue
        base = folder / name / ("exercises" if layout == 1 else "")
        base.mkdir(parents=True, exist_ok=True)
        for fname, text in files.items():
            if layout == 2 and rng.random() < 0.5:  # Windows line endings
                (base / fname).write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
            elif layout == 3 and fname == "losses.py" and text.isascii():
                latin = "# -*- coding: latin-1 -*-\n# r\xe9sum\xe9 of my work\n" + text
                (base / fname).write_bytes(latin.encode("latin-1"))
            else:
                (base / fname).write_text(text, encoding="utf-8")
    return folder


# ------------------------------------------------------------------ the generator's claims


def _load(module: str, bodies: dict[str, str]) -> dict:
    """Execute a filled-in module (this file's own variants) and return its namespace."""
    namespace: dict = {"__name__": f"generated_{module}"}
    exec(compile(fill(stub_text(module), bodies), f"<{module}>", "exec"), namespace)  # noqa: S102
    return namespace


def _inputs(module: str, function: str, rng: np.random.Generator) -> list[tuple]:
    """Inputs that separate the right answers from the classic wrong ones."""
    z = np.concatenate([rng.normal(size=6) * 3, [0.0, -800.0, 800.0]])
    if module == "perceptron":
        if function == "step":
            return [(z,), (np.array(0.0),)]
        if function == "perceptron":
            return [(rng.normal(size=(5, 3)), rng.normal(size=3), 0.3),
                    (np.array([1.0, 1.0]), np.array([0.5, 0.5]), 0.7)]
        bits = np.array([0.0, 0.0, 1.0, 1.0]), np.array([0.0, 1.0, 0.0, 1.0])
        return [bits, (np.array([[0.0], [1.0]]), np.array([0.0, 1.0]))]
    if module in ("activations",):
        return [(z,), (z.reshape(3, 3),)]
    if module == "losses":
        if function == "one_hot":
            return [(np.array([0, 2, 1, 2]), 3), (np.array([0, 3]), 3), (np.array([-1, 0]), 3)]
        if function == "mse":
            return [(rng.normal(size=(4, 3)), rng.normal(size=(4, 3)))]
        if function == "softmax":
            big = rng.normal(size=(3, 4)) * 1e3
            return [(big,), (big, 0)]
        p = rng.dirichlet(np.ones(4), size=3)
        t = np.eye(4)[[0, 2, 3]]
        return [(p, t), (p[0], t[0])]
    if module == "gradient_descent":
        if function == "numerical_gradient":
            x = rng.normal(size=(2, 3))
            return [(lambda v: float(np.sum(np.sin(v) * v.ravel()[0])), x)]
        return [(lambda v: v - np.cos(v), np.array([0.0, 2.0]), 0.1, 5)]
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    w1, w2 = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    if function == "_sigmoid":
        return [(np.array([-3.0, 0.0, 2.0]),)]
    if function == "forward":
        return [(x, w1, w2)]
    if function == "backward":
        return [(x, y, w1, w2)]
    if function == "xor_grads":
        return [(x, rng.uniform(size=(5, 2)), w1, w2)]
    return [()]


def _agree(got: object, expected: object) -> bool:
    if isinstance(expected, tuple):
        return isinstance(got, tuple) and len(got) == len(expected) and all(
            _agree(g, e) for g, e in zip(got, expected, strict=True))
    try:
        return bool(np.allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float),
                                rtol=1e-6, atol=1e-8))
    except (TypeError, ValueError):
        return False


def _outcome(namespace: dict, function: str, args: tuple) -> object:
    """What a call returns, or the exception it raised, or that numpy warned (the contract
    asks for warning-free results, e.g. sigmoid at |z| = 800)."""
    with warnings.catch_warnings(record=True) as caught, \
            np.errstate(divide="warn", over="warn", invalid="warn", under="ignore"):
        warnings.simplefilter("always")
        try:
            result = namespace[function](*[a.copy() if isinstance(a, np.ndarray) else a
                                           for a in args])
        except ValueError:
            return "ValueError"
        except Exception as exc:  # noqa: BLE001 - a buggy variant may raise anything
            return f"raised {type(exc).__name__}"
    if any(issubclass(w.category, RuntimeWarning) for w in caught):
        return "numpy warned"
    return result


VARIANT_CASES = [(m, f, i) for m, fns in SOLUTIONS.items() for f, (_, vs) in fns.items()
                 for i in range(len(vs)) if f != "train_xor"]
# Every habit and every gate constant appears in at least one of these sets.
HABIT_SETS = [
    Habits(matmul=("@", "np.dot", "method")[i % 3], square=("pow", "mul", "np.square")[i % 3],
           reduce=("function", "method")[i % 2], constant=("left", "right")[(i // 2) % 2],
           named_result=("", "result")[i % 2], dtype=("float", "np.float64", "'float64'")[i % 3],
           compare=("name_left", "constant_left")[(i // 3) % 2], temporary=("", "tmp")[i % 2],
           order_seed=i, gate_and=AND_CHOICES[i], gate_or=OR_CHOICES[i],
           gate_nand=AND_CHOICES[-1 - i])
    for i in range(len(AND_CHOICES))
]


def _verdicts(module: str, function: str, body: str, habits: Habits) -> list[bool]:
    """For each input: does ``body`` (as ``function``, written in ``habits``) agree with the
    reference answer?"""
    import importlib

    reference = importlib.import_module(f"nngrade.reference.course.{module}")
    # every other function of the module is its first (correct) variant
    bodies = {f: with_habits(vs[0].body, habits) for f, (_, vs) in SOLUTIONS[module].items()}
    bodies[function] = with_habits(body, habits)
    namespace = _load(module, bodies)
    rng = np.random.default_rng(5)
    agreements = []
    for args in _inputs(module, function, rng):
        name = "sigmoid" if function == "_sigmoid" else function
        ref_fn = getattr(reference, name, None) or getattr(
            importlib.import_module("nngrade.reference.course.activations"), name)
        expected = _outcome({name: ref_fn}, name, args)
        got = _outcome(namespace, function, args)
        if isinstance(expected, str) or isinstance(got, str):
            agreements.append(isinstance(expected, str) and isinstance(got, str)
                              and expected == got)
        else:
            agreements.append(_agree(got, expected))
    return agreements


@pytest.mark.parametrize(("module", "function", "index"), VARIANT_CASES,
                         ids=[f"{m}.{f}[{i}]" for m, f, i in VARIANT_CASES])
def test_each_variant_is_right_or_wrong_as_labelled(module: str, function: str,
                                                    index: int) -> None:
    """Under every student habit: right variants agree with the reference everywhere, buggy
    ones disagree somewhere."""
    variant = SOLUTIONS[module][function][1][index]
    for habits in HABIT_SETS:
        verdicts = _verdicts(module, function, variant.body, habits)
        if variant.correct:
            assert all(verdicts), f"{module}.{function} variant {index} fails with {habits}"
        else:
            assert not all(verdicts), f"{module}.{function} variant {index} passes: {habits}"


@pytest.mark.parametrize("index", range(len(SOLUTIONS["backprop"]["train_xor"][1])))
def test_each_train_xor_variant_solves_xor(index: int) -> None:
    bodies = {f: with_habits(vs[0].body, Habits()) for f, (_, vs) in SOLUTIONS["backprop"].items()}
    bodies["train_xor"] = with_habits(SOLUTIONS["backprop"]["train_xor"][1][index].body,
                                      Habits())
    namespace = _load("backprop", bodies)
    w1, w2 = namespace["train_xor"](epochs=6000)
    sig = namespace["_sigmoid"]
    out = sig(sig(namespace["XOR_X"] @ w1) @ w2)
    assert np.array_equal(np.round(out), namespace["XOR_Y"])


def test_generated_hand_ins_parse_and_differ(tmp_path: Path) -> None:
    """Every generated file is valid Python, students differ, and stubs stay stubs."""
    generated = make_class(100, seed=3)
    texts = set()
    for student in generated.students.values():
        for text in student.files.values():
            ast.parse(text)
            texts.add(text)
    assert len(texts) > 0.9 * sum(len(s.files) for s in generated.students.values()) - 15
    stub = generated.students[generated.stub_only[0]]
    assert all(stub.files[m] == stub_text(m) for m in MODULES)


@pytest.mark.parametrize("disguise", sorted(DISGUISES))
def test_every_disguise_keeps_the_program(disguise: str) -> None:
    """A disguised copy is still valid Python that computes the same thing."""
    rng = random.Random(1)
    student = make_student("x", rng, stub_only=False)
    source = student.files["activations"]
    changed = DISGUISES[disguise](source, random.Random(2))
    ast.parse(changed)
    if disguise != "verbatim":
        assert changed != source
    before, after = {"__name__": "a"}, {"__name__": "b"}
    exec(compile(source, "<a>", "exec"), before)  # noqa: S102 - our own generated test data
    exec(compile(changed, "<b>", "exec"), after)  # noqa: S102
    z = np.linspace(-4, 4, 9)
    for name in SOLUTIONS["activations"]:
        was, now = _outcome(before, name, (z,)), _outcome(after, name, (z,))
        if isinstance(was, str) or isinstance(now, str):
            assert was == now
        else:
            assert np.allclose(np.asarray(was, float), np.asarray(now, float), equal_nan=True)
