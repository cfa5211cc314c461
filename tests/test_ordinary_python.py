"""Issue 13 item 3: ordinary Python that the sandbox must behave like, and how it is graded.

Students on Windows or a Chinese console reconfigure or replace ``sys.stdout``;
students who follow the handout's ``exercises/`` package import their modules
package-style or relatively; NumPy gives ``longdouble`` and complex dtypes
without being asked; and some write float32 code. None of it may zero a
module, and float32 code gets the same score for every seed, with a word on
dtype when it fails.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import numpy as np
import pytest

from nngrade.feedback import Feedback, expect_close
from nngrade.grade.options import BatchOptions
from nngrade.grade.pipeline import grade_directory
from nngrade.messages import render
from nngrade.sandbox import Limits, Opaque, Sandbox

ROOT = Path(__file__).resolve().parents[1]
ADA = ROOT / "examples" / "submissions" / "ada"
LIMITS = Limits(call_seconds=2.0, import_seconds=3.0, grace_seconds=0.5, memory_bytes=1 << 30)
FAST = BatchOptions(call_timeout=2.0, submission_timeout=120.0)


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip()


@pytest.fixture(scope="module")
def box():
    with Sandbox(LIMITS) as sandbox:
        yield sandbox


def test_stdout_is_a_real_text_stream(box) -> None:
    status = box.load({
        "wrapped": src("""
            import io, sys
            sys.stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8")
            sys.stderr = io.TextIOWrapper(sys.stderr.buffer, encoding="utf-8", errors="replace")
            print("导入")
            def f():
                print("损失 = 0.5")
                return 1.0
            """),
        "reconfigured": src("""
            import sys
            sys.stdout.reconfigure(encoding="utf-8")
            sys.stderr.reconfigure(encoding="utf-8", errors="backslashreplace")
            def f():
                print("ok", flush=True)
                sys.stdout.buffer.write("字节\\n".encode("utf-8"))
                sys.stdout.close()  # and the next call still prints
                return sys.stdout.fileno()
            """),
    })
    assert status == {"wrapped": "ok", "reconfigured": "ok"}, status
    r = box.call("wrapped", "f")
    assert r.ok and r.value == 1.0 and "损失 = 0.5" in r.output
    r = box.call("reconfigured", "f")
    assert r.ok and r.value == 1 and "ok" in r.output and "字节" in r.output, r
    r = box.call("reconfigured", "f")
    assert r.ok and "ok" in r.output


def test_every_import_form_of_the_handout(box) -> None:
    status = box.load({
        "helper": "def g():\n    return 1.0\n\nclass Box:\n    pass\n",
        "relative": "from .helper import g\nfrom . import helper\n"
                    "def f():\n    return g() + helper.g()\n",
        "packaged": src("""
            from exercises.helper import g, Box
            import exercises.helper as h
            from exercises import helper
            import helper as plain
            def f():
                return g() + h.g() + helper.g()
            def same():
                return h is helper is plain and Box is plain.Box
            """),
    })
    assert status == {"helper": "ok", "relative": "ok", "packaged": "ok"}, status
    assert box.call("relative", "f").value == 2.0
    assert box.call("packaged", "f").value == 3.0
    assert box.call("packaged", "same").value is True  # one module, one class identity


@pytest.mark.parametrize(("expr", "expected"), [
    ("np.longdouble(0.5)", 0.5),
    ("np.clongdouble(0.25)", 0.25),
    ("np.complex128(2.0)", 2.0),
    ("np.array([0.25, 0.5], dtype=np.longdouble)", np.array([0.25, 0.5])),
    ("np.array([1.0, 2.0]) + 0j", np.array([1.0, 2.0])),
])
def test_numeric_numpy_types_cross_as_float64(box, expr: str, expected: object) -> None:
    box.load({"num": f"import numpy as np\ndef f():\n    return {expr}\n"})
    r = box.call("num", "f")
    assert r.ok and not isinstance(r.value, Opaque), r
    assert np.array_equal(r.value, expected)
    if isinstance(r.value, np.ndarray):
        assert r.value.dtype == np.float64


def test_a_float32_number_keeps_its_dtype(box) -> None:
    box.load({"f32": "import numpy as np\ndef f():\n    return np.float32(0.5)\n"})
    r = box.call("f32", "f")
    assert r.ok and r.value.dtype == np.float32 and r.value.shape == () and r.value == 0.5


def test_a_complex_answer_is_explained_in_numpy_terms(box) -> None:
    box.load({"cx": "import numpy as np\ndef f():\n    return np.array([1.0, 2.0 + 1.0j])\n"})
    r = box.call("cx", "f")
    assert isinstance(r.value, Opaque)
    with pytest.raises(Feedback) as failed:
        expect_close(r.value, np.ones(2))
    text = render(failed.value.message, "en")
    assert "imaginary part" in text and "Opaque" not in text


def test_float32_result_is_judged_at_float32_precision() -> None:
    expected = np.linspace(0.1, 1.0, 50)
    close32 = (expected * (1 + 5e-7)).astype(np.float32)  # off by more than rtol=1e-6
    expect_close(close32, expected)  # float32's own precision: passes
    with pytest.raises(Feedback) as failed:
        expect_close((expected * 2).astype(np.float32), expected)  # a wrong formula
    for lang in ("en", "zh"):
        hint = render(failed.value.hint, lang)
        assert "float32" in hint and "float64" in hint
    with pytest.raises(Feedback):  # float64 keeps the tests' tolerance
        expect_close(expected * (1 + 5e-6), expected)


FLOAT32 = '''

import functools as _functools


def _in_float32(fn):
    @_functools.wraps(fn)
    def wrapper(*args, **kwargs):
        args = [np.asarray(a, dtype=np.float32) if isinstance(a, np.ndarray)
                and a.dtype == np.float64 else a for a in args]
        out = fn(*args, **kwargs)
        if isinstance(out, np.ndarray) and out.dtype.kind == "f":
            out = out.astype(np.float32)
        return out
    return wrapper


for _name in {names!r}:
    globals()[_name] = _in_float32(globals()[_name])
'''


def test_float32_code_scores_the_same_for_every_seed(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    shutil.copytree(ADA, subs / "ada")
    shutil.copytree(ADA, subs / "f32")
    path = subs / "f32" / "activations.py"
    names = ["sigmoid", "tanh", "relu", "sigmoid_prime", "tanh_prime", "relu_prime"]
    path.write_text(path.read_text() + FLOAT32.format(names=names))
    scores = set()
    for seed in (1, 2, 3, 4):
        results = {r["nngrade"]["student"]: r for r in grade_directory(
            subs, tmp_path / f"out{seed}", jobs=2, seed=seed, force=True, options=FAST)}
        assert results["ada"]["score"] == 100
        scores.add(results["f32"]["nngrade"]["modules"]["activations"]["score"])
    assert len(scores) == 1, scores


def test_a_float32_scalar_in_process_is_judged_alike() -> None:
    """The in-process backend (nbgrader) hands numpy scalars over as they are."""
    expect_close(np.float32(0.1 * (1 + 5e-7)), 0.1)
    with pytest.raises(Feedback) as failed:
        expect_close(np.float32(0.2), 0.1)
    assert "float32" in render(failed.value.hint, "en")


def test_an_array_that_cannot_cross_names_its_dtype(box) -> None:
    box.load({"obj": "import numpy as np\ndef f():\n    return np.array([0.5, 'x'], "
                     "dtype=object)\n"})
    r = box.call("obj", "f")
    with pytest.raises(Feedback) as failed:
        expect_close(r.value, np.ones(2))
    text = render(failed.value.message, "en")
    assert "dtype object" in text and "Opaque" not in text
