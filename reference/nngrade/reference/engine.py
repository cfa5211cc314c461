"""Reverse-mode automatic differentiation over n-d numpy arrays.

This is micrograd's ``engine.py`` grown up to arrays. A :class:`Tensor` wraps a
numpy array. Every operation computes its result *and*, right beside it, says
how to send a gradient back to its inputs: a small ``backward(g)`` closure that
receives dLoss/dOutput and returns dLoss/dInput for each input. Calling
:meth:`Tensor.backward` on a result runs those closures once each, in reverse
topological order, and leaves ``.grad`` on the leaves that asked for one.

Four rules keep it correct and fast enough to grade a whole class with:

* **Only what is needed is recorded.** A result remembers its inputs and its
  backward closure only if some input ``requires_grad`` (and we are not inside
  :class:`no_grad`). A closure computes a gradient only for the inputs that
  require one: ``x @ w`` with data ``x`` never pays for ``g @ w.T``.
* **Each node once.** A tensor is always created after its inputs, so the
  order of creation is a topological order. ``backward`` keeps the nodes that
  have received a gradient in a heap and always takes the newest: by then
  every result computed from it (created later) has passed its share on, so
  its gradient is complete and it is visited exactly once. No recursion, so
  a chain of 100,000 operations works, and a graph with 2**60 paths
  (``y = y + y`` sixty times) takes linear time.
* **No needless copies.** A closure returns, for each input, the incoming
  ``g`` itself, a view of it, or an array it allocated for that input alone
  (never one array for two inputs). Gradients meeting at a shared
  subexpression are summed into a new buffer, then in place into it; a leaf
  keeps an array allocated for it alone as its ``.grad`` and copies anything
  else. Intermediate gradients are dropped as soon as they have been passed on.
* **A leaf keeps its gradient's array.** A training loop drops the gradients
  every step (``w.grad = None``, ``zero_grad``) and needs arrays of the same
  size in the next. So a leaf keeps the array its last ``.grad`` lived in,
  and the next pass writes the new gradient into it: matmul, sums,
  broadcast reductions, indexing and the one-input functions pass
  ``out=_grad_out(input)`` to the numpy call that makes an input's gradient
  (None, so numpy allocates as usual, unless the input is a leaf with an
  array to offer), and what the engine would copy into a new array it
  copies into that one. (A binary operation on same-shaped operands, like
  ``w * v``, hands over the new array it computed instead: no copy either.)
  An array is reused only when nothing but its leaf refers to it, so nobody
  can tell: a ``.grad`` you kept is never overwritten (:func:`_grad_out`).
  This matters more than the allocation: a weight-sized array freed every
  step makes glibc's malloc give the memory back to the system and
  page-fault it in again, which alone made the lecture's loop written
  plainly (``w.data -= lr * w.grad; w.grad = None``) 1.7-2x slower than
  hand-written numpy on its two-layer network. Arrays smaller than a page
  are not kept: they cannot fault by themselves, and are cheaper to
  allocate than to check.

Plain numbers and numpy arrays are constants wherever they appear; inside the
graph they all stand for one shared leaf, ``_CONSTANT``, that never requires a
gradient, so mixing them in costs no extra tensor.

Broadcasting works as in numpy, in both directions: each input's gradient is
summed back to that input's own shape (:func:`_sum_to`).
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Sequence
from contextlib import ContextDecorator
from heapq import heappop, heappush
from operator import attrgetter
from typing import Any, Union

import numpy as np

__all__ = ["Tensor", "no_grad", "is_grad_enabled", "maximum", "topological_order"]

ArrayLike = Union["Tensor", np.ndarray, float, int, Sequence[Any]]

_grad_enabled = True
_creation = itertools.count()  # a tensor's serial number: its place in a topological order
_new = object.__new__
_by_creation = attrgetter("_id")


class no_grad(ContextDecorator):
    """Inside ``with no_grad():`` results record no graph (for evaluation and optimizer steps).

    Nestable and usable as a decorator. It switches a module-level flag, which
    is the cheapest thing for every operation to test.
    """

    def __init__(self) -> None:
        self._previous: list[bool] = []  # a stack, so one instance may be re-entered

    def __enter__(self) -> no_grad:
        global _grad_enabled
        self._previous.append(_grad_enabled)
        _grad_enabled = False
        return self

    def __exit__(self, *exc: object) -> None:
        global _grad_enabled
        _grad_enabled = self._previous.pop()


def is_grad_enabled() -> bool:
    """Whether new results are recorded for backward (False inside :class:`no_grad`)."""
    return _grad_enabled


def _sum_to(g: np.ndarray, shape: tuple[int, ...], owner: Tensor | None = None) -> np.ndarray:
    """Undo broadcasting: sum ``g`` over the axes along which ``shape`` was stretched.

    ``owner`` is the input this gradient is for: if a sum is needed and it is
    a leaf with a kept gradient array (:func:`_grad_out`), the sum is written
    into that array (a bias's gradient, summed over the batch).
    """
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and g.shape[i + lead] != 1
    )
    buffer = _grad_out(owner) if owner is not None else None
    if buffer is None:
        return g.sum(axis=axes, keepdims=True).reshape(shape)
    kept = (1,) * lead + tuple(1 if i + lead in axes else n for i, n in enumerate(shape))
    np.add.reduce(g, axis=axes, keepdims=True, out=buffer.reshape(kept))  # unit axes: a view
    return buffer


_ONES: dict[np.dtype, np.ndarray] = {}


def _one(like: np.ndarray) -> np.ndarray:
    """A read-only 1 shaped like the one-element array ``like``: the seed of backward."""
    one = _ONES.get(like.dtype)
    if one is None:
        one = _ONES[like.dtype] = np.ones((), like.dtype)
        one.flags.writeable = False
    return one if like.ndim == 0 else one.reshape(like.shape)


def _kept_shape(shape: tuple[int, ...], axis: int | tuple[int, ...] | None) -> tuple[int, ...]:
    """The shape of a sum over ``axis`` with keepdims=True: the summed axes become 1."""
    if axis is None:
        return (1,) * len(shape)
    axes = {a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _as_array(x: Any) -> np.ndarray:
    """A float array for ``x``: ints and bools become float64, float arrays are not copied."""
    if type(x) is np.ndarray and x.dtype.kind == "f":
        return x
    a = np.asarray(x)
    if a.dtype.kind != "f":
        a = a.astype(np.float64)
    return a


def _operand(x: ArrayLike) -> tuple[Tensor, Any]:
    """The other side of a binary operation as (tensor in the graph, its value).

    A plain number or array is a constant: it is not wrapped in a tensor of its
    own (that would cost more than a small operation) but stands in the graph
    as ``_CONSTANT``, one shared leaf that never requires a gradient.
    """
    if isinstance(x, Tensor):
        return x, x.data
    return _CONSTANT, x if type(x) is float or type(x) is int else _as_array(x)


def _constant(x: ArrayLike) -> Tensor:
    """A leaf tensor for a constant left operand (``2 - t``, ``x @ w``)."""
    return x if isinstance(x, Tensor) else Tensor._result(_as_array(x), ())


def _is_basic_index(index: Any) -> bool:
    """True for ints, slices, None and Ellipsis: numpy's basic indexing, no entry picked twice."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in items)


class Tensor:
    """An n-d float array that remembers how it was computed, so it can send gradients back.

    ``Tensor(data)`` wraps ``data`` like ``np.asarray`` does (a float array is
    shared, not copied; ints and bools become float64). Set
    ``requires_grad=True`` on the leaves you want ``.grad`` for; a leaf's
    ``.grad`` is an array of its own shape and dtype. Plain numbers and numpy
    arrays mix with tensors on either side of every operator; they are
    constants.
    """

    __slots__ = (
        "data",
        "grad",
        "requires_grad",
        "_parents",
        "_backward",
        "_id",
        "_retain",
        "_grad_buffer",
    )
    __array_ufunc__ = None  # make `ndarray + Tensor` call Tensor.__radd__ instead of numpy's loop

    data: np.ndarray
    grad: np.ndarray | None

    def __init__(self, data: ArrayLike, requires_grad: bool = False) -> None:
        self.data = _as_array(data.data if isinstance(data, Tensor) else data)
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._parents: tuple[Tensor, ...] = ()
        self._backward: Callable[[np.ndarray], Sequence[np.ndarray | None]] | None = None
        self._id = next(_creation)
        self._retain = False
        self._grad_buffer: np.ndarray | None = None  # the array of the last .grad (see _grad_out)

    # ------------------------------------------------------------------ plumbing

    @staticmethod
    def _result(data: Any, parents: tuple[Tensor, ...]) -> Tensor:
        """A new result of an operation on ``parents``; it records them only if a gradient may flow.

        The caller attaches ``_backward`` when ``out.requires_grad``. Bypasses
        ``__init__`` because this runs once per operation.
        """
        out = _new(Tensor)
        out.data = data if type(data) is np.ndarray else np.asarray(data)
        out.grad = None
        out._backward = None
        out._id = next(_creation)
        out._retain = False
        out._grad_buffer = None
        if _grad_enabled:
            for p in parents:
                if p.requires_grad:
                    out.requires_grad = True
                    out._parents = parents
                    return out
        out.requires_grad = False
        out._parents = ()
        return out

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (or under no_grad): their ``.grad`` is kept."""
        return self._backward is None

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        flag = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({np.array2string(self.data, separator=', ')}{flag})"

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def detach(self) -> Tensor:
        """The same values as a new leaf that records nothing (shares the array)."""
        return Tensor(self.data)

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this intermediate result too (normally only leaves keep theirs)."""
        self._retain = True
        return self

    def zero_grad(self) -> None:
        """Forget the accumulated gradient: ``.grad`` becomes None, as ``t.grad = None`` does.

        The array stays with the tensor, and the next backward pass writes the
        new gradient into it unless something else still refers to it: a
        ``.grad`` you kept is never overwritten.
        """
        self.grad = None

    # ------------------------------------------------------------------ arithmetic
    # Each operation: the forward value, then the local backward right beside it.

    def __add__(self, other: ArrayLike) -> Tensor:
        other, b = _operand(other)
        out = Tensor._result(self.data + b, (self, other))
        if out.requires_grad:

            def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
                return (
                    _sum_to(g, self.shape, self) if self.requires_grad else None,
                    _sum_to(g, other.shape, other) if other.requires_grad else None,
                )

            out._backward = backward
        return out

    __radd__ = __add__  # a + b == b + a, bit for bit

    def __sub__(self, other: ArrayLike) -> Tensor:
        other, b = _operand(other)
        out = Tensor._result(self.data - b, (self, other))
        if out.requires_grad:

            def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
                return (
                    _sum_to(g, self.shape, self) if self.requires_grad else None,
                    _sum_to(-g, other.shape, other) if other.requires_grad else None,
                )

            out._backward = backward
        return out

    def __rsub__(self, other: ArrayLike) -> Tensor:
        return _constant(other) - self

    def __mul__(self, other: ArrayLike) -> Tensor:
        other, b = _operand(other)
        a = self.data
        out = Tensor._result(a * b, (self, other))
        if out.requires_grad:

            def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
                return (
                    _sum_to(g * b, a.shape, self) if self.requires_grad else None,
                    _sum_to(g * a, other.shape, other) if other.requires_grad else None,
                )

            out._backward = backward
        return out

    __rmul__ = __mul__

    def __truediv__(self, other: ArrayLike) -> Tensor:
        other, b = _operand(other)
        a = self.data
        out = Tensor._result(a / b, (self, other))
        if out.requires_grad:
            q = out.data

            def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
                ga = g / b
                return (
                    _sum_to(ga, a.shape, self) if self.requires_grad else None,
                    _sum_to(-ga * q, other.shape, other) if other.requires_grad else None,  # -q/b
                )

            out._backward = backward
        return out

    def __rtruediv__(self, other: ArrayLike) -> Tensor:
        return _constant(other) / self

    def __neg__(self) -> Tensor:
        out = Tensor._result(-self.data, (self,))
        if out.requires_grad:
            out._backward = lambda g: (np.negative(g, out=_grad_out(self)),)
        return out

    def __pos__(self) -> Tensor:
        return self

    def __pow__(self, exponent: float) -> Tensor:
        """``self ** exponent`` for a constant number ``exponent``."""
        if not isinstance(exponent, (int, float, np.integer, np.floating)):
            raise TypeError("Tensor ** supports a constant scalar exponent only")
        p = float(exponent)
        a = self.data
        out = Tensor._result(a**p, (self,))
        if out.requires_grad:
            if p == 2.0:
                out._backward = lambda g: (np.multiply(g, 2.0 * a, out=_grad_out(self)),)
            else:
                out._backward = lambda g: (np.multiply(g, p * a ** (p - 1.0), out=_grad_out(self)),)
        return out

    def __matmul__(self, other: ArrayLike) -> Tensor:
        """numpy's ``@``: 2-D, batched (broadcast leading axes) and 1-D operands alike."""
        other, b = _operand(other)
        return _matmul(self, self.data, other, b)

    def __rmatmul__(self, other: ArrayLike) -> Tensor:
        other, a = _operand(other)
        return _matmul(other, a, self, self.data)

    def maximum(self, other: ArrayLike) -> Tensor:
        """Elementwise max; at ties each side gets half the gradient, as central differences see."""
        other, b = _operand(other)
        a = self.data
        out = Tensor._result(np.maximum(a, b), (self, other))
        if out.requires_grad:

            def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
                share = (a > b) + 0.5 * (a == b)  # a's share of the gradient
                return (
                    _sum_to(g * share, a.shape, self) if self.requires_grad else None,
                    _sum_to(g * (1.0 - share), other.shape, other) if other.requires_grad else None,
                )

            out._backward = backward
        return out

    # ------------------------------------------------------------------ elementwise functions

    def exp(self) -> Tensor:
        out = Tensor._result(np.exp(self.data), (self,))
        if out.requires_grad:
            e = out.data
            out._backward = lambda g: (np.multiply(g, e, out=_grad_out(self)),)
        return out

    def log(self) -> Tensor:
        a = self.data
        out = Tensor._result(np.log(a), (self,))
        if out.requires_grad:
            out._backward = lambda g: (np.divide(g, a, out=_grad_out(self)),)
        return out

    def relu(self) -> Tensor:
        """max(x, 0), with derivative 0 at x == 0 (the course's convention)."""
        a = self.data
        out = Tensor._result(np.maximum(a, 0.0), (self,))
        if out.requires_grad:
            out._backward = lambda g: (np.multiply(g, a > 0, out=_grad_out(self)),)
        return out

    def sigmoid(self) -> Tensor:
        """1 / (1 + e^-x), computed as exp(-log(1 + e^-x)) so no |x| overflows or warns.

        ``np.logaddexp(0, -x)`` is log(1 + e^-x) evaluated stably; it is accurate
        in both tails (sigmoid(-40) keeps full relative precision), and four
        in-place ufunc calls are as cheap as the textbook formula.
        """
        s = np.negative(self.data)
        if type(s) is not np.ndarray:  # numpy hands back a scalar for 0-d input
            s = np.asarray(s)
        np.logaddexp(0.0, s, out=s)
        np.negative(s, out=s)
        np.exp(s, out=s)
        out = Tensor._result(s, (self,))
        if out.requires_grad:
            out._backward = lambda g: (np.multiply(g * s, 1.0 - s, out=_grad_out(self)),)
        return out

    def tanh(self) -> Tensor:
        out = Tensor._result(np.tanh(self.data), (self,))
        if out.requires_grad:
            t = out.data
            out._backward = lambda g: (np.multiply(g, 1.0 - t * t, out=_grad_out(self)),)
        return out

    # ------------------------------------------------------------------ reductions

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        a = self.data
        total = np.add.reduce(a, axis=axis, keepdims=True) if keepdims else np.add.reduce(a, axis)
        out = Tensor._result(total, (self,))
        if out.requires_grad:
            # g broadcasts over the summed axes, once they are back in its shape as 1s
            kept = _kept_shape(a.shape, axis) if axis is not None and not keepdims else None

            def backward(g: np.ndarray) -> tuple[np.ndarray]:
                ga = _grad_out(self)
                if ga is None:
                    ga = np.empty(a.shape, a.dtype)
                ga[...] = g if kept is None else g.reshape(kept)  # each entry: its sum's gradient
                return (ga,)

            out._backward = backward
        return out

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        kept = _kept_shape(self.shape, axis)
        n = self.size // max(int(np.prod(kept)), 1) if self.size else 0
        return self.sum(axis=axis, keepdims=keepdims) * (1.0 / n if n else np.nan)

    def softmax(self, axis: int = -1) -> Tensor:
        """e^x / sum(e^x) along ``axis``, shifted by the max first so e^x never overflows."""
        e = np.exp(self.data - self.data.max(axis=axis, keepdims=True))
        e /= e.sum(axis=axis, keepdims=True)
        out = Tensor._result(e, (self,))
        if out.requires_grad:
            out._backward = lambda g: (
                np.multiply(e, g - (g * e).sum(axis=axis, keepdims=True), out=_grad_out(self)),
            )
        return out

    def log_softmax(self, axis: int = -1) -> Tensor:
        """x - log(sum(e^x)) along ``axis``, via the max shift: finite for any finite x."""
        shifted = self.data - self.data.max(axis=axis, keepdims=True)
        shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        out = Tensor._result(shifted, (self,))
        if out.requires_grad:

            def backward(g: np.ndarray) -> tuple[np.ndarray]:
                total = g.sum(axis=axis, keepdims=True)
                return (np.subtract(g, np.exp(shifted) * total, out=_grad_out(self)),)

            out._backward = backward
        return out

    # ------------------------------------------------------------------ shape

    def reshape(self, *shape: int | tuple[int, ...]) -> Tensor:
        in_shape = self.shape
        new_shape = shape[0] if len(shape) == 1 and isinstance(shape[0], tuple) else shape
        out = Tensor._result(self.data.reshape(new_shape), (self,))
        if out.requires_grad:
            out._backward = lambda g: (g.reshape(in_shape),)
        return out

    def transpose(self, *axes: int) -> Tensor:
        """Permute axes like ``np.transpose`` (no axes: reverse them)."""
        perm = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        perm = tuple(perm) if perm else tuple(reversed(range(self.ndim)))
        out = Tensor._result(np.transpose(self.data, perm), (self,))
        if out.requires_grad:
            inverse = tuple(np.argsort(perm))
            out._backward = lambda g: (np.transpose(g, inverse),)
        return out

    @property
    def T(self) -> Tensor:
        return self.transpose()

    def __getitem__(self, index: Any) -> Tensor:
        """numpy indexing; the gradient is scattered back, summing entries picked twice."""
        if isinstance(index, Tensor):
            index = index.data
        elif isinstance(index, tuple):
            index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
        a = self.data
        out = Tensor._result(a[index], (self,))
        if out.requires_grad:
            basic = _is_basic_index(index)

            def backward(g: np.ndarray) -> tuple[np.ndarray]:
                ga = _grad_out(self)
                if ga is None:
                    ga = np.zeros_like(a)
                else:
                    ga.fill(0.0)
                if basic:
                    ga[index] = g  # basic indexing picks each entry at most once
                else:
                    np.add.at(ga, index, g)
                return (ga,)

            out._backward = backward
        return out

    # ------------------------------------------------------------------ backward

    def backward(self, gradient: ArrayLike | None = None) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires a gradient.

        ``gradient`` is dLoss/d(self), shaped like self; it defaults to 1 for a
        one-element tensor. Gradients add up over calls until ``zero_grad``.
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad")
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError("backward() needs a gradient for a non-scalar tensor")
            seed = _one(self.data)
        else:
            seed = np.broadcast_to(_as_array(gradient), self.shape)

        if self._backward is None:  # backward() on a leaf: d(self)/d(self) = 1
            _accumulate(self, seed, fresh=False)
            return
        grads: dict[Tensor, np.ndarray] = {self: seed}  # dLoss/d(node), for pending nodes
        owned: set[Tensor] = set()  # nodes whose pending buffer the engine allocated itself
        pending, pop = grads.get, grads.pop
        heap = [(-self._id, self)]  # nodes holding a gradient, newest first
        while heap:
            node = heappop(heap)[1]
            g = pop(node)  # popped, so it is freed as soon as its inputs have theirs
            if node._retain:
                _accumulate(node, g, fresh=False)
            local = node._backward(g)  # type: ignore[misc]  # only results are ever scheduled
            for parent, c in zip(node._parents, local, strict=False):
                if c is None:  # this input needs no gradient
                    continue
                if parent._backward is None:  # a leaf: nothing flows further, add it up now
                    _accumulate(parent, c, c is not g and type(c) is np.ndarray and c.base is None)
                    continue
                prev = pending(parent)
                if prev is None:
                    grads[parent] = c
                    heappush(heap, (-parent._id, parent))  # its first gradient: schedule it
                elif parent in owned:
                    prev += c
                else:  # a shared subexpression: sum into a new buffer that is ours to reuse
                    grads[parent] = total = prev + c
                    if type(total) is np.ndarray:
                        owned.add(parent)


def _accumulate(leaf: Tensor, g: np.ndarray, fresh: bool) -> None:
    """Add ``g`` into ``leaf.grad``, keeping ``g`` itself only if ``fresh`` (nobody else holds it).

    ``.grad`` must be an array of the leaf's own, of its shape and dtype, that
    the user may change, so a gradient that is shared with another input, a
    view, read-only or of another dtype is copied: into the leaf's kept
    array if it offers one (:func:`_grad_out`), else into a new array. The
    array that becomes ``.grad`` is kept for the next pass unless it is
    smaller than ``_KEEP_FROM_BYTES``.
    """
    if leaf.grad is None:
        if not (fresh and g.dtype == leaf.data.dtype):
            buffer = _grad_out(leaf)
            if buffer is None:
                g = np.array(g, dtype=leaf.data.dtype)
            else:
                np.copyto(buffer, g)
                g = buffer
        leaf.grad = g
        leaf._grad_buffer = g if g.nbytes >= _KEEP_FROM_BYTES else None
    else:
        leaf.grad += g


# Gradients smaller than a page are not kept: one cannot page-fault by itself, and
# malloc serves it from its free lists faster than _grad_out checks a kept one
# (which costs the XOR network's tiny gradients about 3% of an epoch).
_KEEP_FROM_BYTES = 4096


def _references(t: Tensor) -> int:
    """How many references to ``t``'s kept gradient array this interpreter counts from here."""
    return sys.getrefcount(t._grad_buffer)


def _count_alone() -> int:
    """What :func:`_references` says of an array that only its tensor holds; -1 if untrustworthy.

    Measured, not assumed: interpreters differ in the temporary references a
    call makes (CPython 3.14 skips some), and PyPy counts none at all. If one
    more reference does not show as one more, arrays are never reused, which
    is always correct, only slower.
    """
    if not hasattr(sys, "getrefcount"):
        return -1
    probe = Tensor(0.0)
    probe._grad_buffer = np.empty(1)
    alone = _references(probe)
    extra = probe._grad_buffer
    trusted = _references(probe) == alone + 1
    del extra
    return alone if trusted else -1


def _grad_out(t: Tensor) -> np.ndarray | None:
    """Where a closure may write ``t``'s gradient: the array of its last ``.grad``, or None.

    Only a leaf whose ``.grad`` is None (zeroed since) offers one, and only if
    nothing but the leaf refers to that array: no ``.grad`` the user kept, no
    view of it, no tensor or graph built on it. Then nobody can see it being
    written (a weak reference could, and does not count). The array is taken
    out of the leaf, so a pass hands it out once even when the leaf is both
    inputs of one operation (``w @ w``); it comes back when the gradient
    written into it becomes ``.grad``. It is C-contiguous, of the leaf's shape
    and dtype, so ``out=`` changes no bit of a result: the second pass of a
    loop computes exactly what the first did.
    """
    if (
        t._grad_buffer is None
        or t.grad is not None
        or t._backward is not None
        or _references(t) != _ALONE
    ):
        return None
    buffer = t._grad_buffer
    t._grad_buffer = None
    flags = buffer.flags
    if (
        buffer.shape != t.data.shape
        or buffer.dtype != t.data.dtype
        or not (flags.c_contiguous and flags.writeable)
    ):
        return None  # t.data has been replaced by another shape or dtype; or the user froze it
    return buffer


def _matmul(left: Tensor, a: np.ndarray, right: Tensor, b: np.ndarray) -> Tensor:
    """``a @ b``, ``a`` the value of ``left`` and ``b`` of ``right`` (either may be a constant)."""
    out = Tensor._result(a @ b, (left, right))
    if out.requires_grad:

        def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
            if a.ndim == 2 and b.ndim == 2:  # the common case, without the general fuss
                return (
                    np.matmul(g, b.T, out=_grad_out(left)) if left.requires_grad else None,
                    np.matmul(a.T, g, out=_grad_out(right)) if right.requires_grad else None,
                )
            # Treat a 1-D a as a row (1, k) and a 1-D b as a column (k, 1), as numpy
            # does; g then lacks the axis the product removed, so put it back.
            a2, b2 = a, b
            if a.ndim == 1:
                a2 = a[None, :]
                g = g[..., None, :] if b.ndim > 1 else g[None]
            if b.ndim == 1:
                b2 = b[:, None]
                g = g[..., None]
            batch = g.shape[:-2]  # the product's batch axes: both operands' broadcast together
            return (
                _matmul_grad(g, b2.swapaxes(-1, -2), batch, left, a2.shape)
                if left.requires_grad
                else None,
                _matmul_grad(a2.swapaxes(-1, -2), g, batch, right, b2.shape)
                if right.requires_grad
                else None,
            )

        out._backward = backward
    return out


def _matmul_grad(
    x: np.ndarray, y: np.ndarray, batch: tuple[int, ...], owner: Tensor, seen: tuple[int, ...]
) -> np.ndarray:
    """``x @ y`` as the gradient of the operand ``owner``, which matmul saw shaped ``seen``.

    ``seen`` is the operand with a vector as a row or column; the gradient is
    handed back in the operand's own shape. Batch axes the operand was
    broadcast along are summed away (into its kept array, by :func:`_sum_to`);
    with none, the product goes straight into its kept array.
    """
    if batch != seen[:-2]:
        grad = _sum_to(x @ y, seen, owner)
    else:
        buffer = _grad_out(owner)
        if buffer is not None:
            np.matmul(x, y, out=buffer.reshape(seen))  # a view: only axes of length 1 differ
            return buffer
        grad = x @ y
    return grad if grad.shape == owner.shape else grad.reshape(owner.shape)


_CONSTANT = Tensor(0.0)
_ALONE = _count_alone()


def topological_order(root: Tensor) -> list[Tensor]:
    """The recorded results ``root`` depends on (leaves excluded), ``root`` first.

    The order in which ``backward`` visits them: newest first, since an input
    is always created before its result. Gathered with an explicit stack, so
    any depth works. For inspection and tests; ``backward`` itself merges the
    walk and the ordering into one pass with a heap.
    """
    seen = {root}
    stack = [root]
    while stack:
        for parent in stack.pop()._parents:
            if parent._backward is not None and parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return sorted(seen, key=_by_creation, reverse=True)


def maximum(a: ArrayLike, b: ArrayLike) -> Tensor:
    """Elementwise max of two tensors (or a tensor and a constant), differentiable in both."""
    return (a if isinstance(a, Tensor) else Tensor(a)).maximum(b)
