"""The trust boundary under attack: each hostile submission of issue 4 at the sandbox level.

One ``Sandbox`` serves the whole module (as one serves a whole grading
process), so every test also checks that the sandbox is still fine for the
next submission after an attack. Limits are small so that the file runs in
seconds: a 1 s call timeout, 0.5 s grace before the hard kill.
"""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nngrade.cli
from nngrade.sandbox import STATUSES, Fn, Limits, Opaque, Rng, Sandbox
from nngrade.sandbox.child import reply_result
from nngrade.sandbox.launch import bwrap_status
from nngrade.worker.protocol import DecodeLimits

REPO = Path(nngrade.cli.__file__).resolve().parents[2]
SUITES = Path(nngrade.cli.__file__).resolve().parent / "suites"
HAVE_BWRAP = bwrap_status()[0]  # installed and working; NNGRADE_SANDBOX=none may still skip it
LIMITS = Limits(call_seconds=1.0, import_seconds=2.0, grace_seconds=0.5, memory_bytes=1 << 30)

OK_MODULE = "import numpy as np\n\ndef double(x):\n    return 2 * np.asarray(x)\n"


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip()


@pytest.fixture(scope="module")
def box():
    with Sandbox(LIMITS) as sandbox:
        yield sandbox


def confined(box: Sandbox) -> bool:
    return box.mode == "bwrap"


def needs_namespaces(box: Sandbox) -> None:
    """Skip a test of what only the namespaces give (and that would touch the host without)."""
    if not confined(box):
        pytest.skip("runs only inside bubblewrap: without it the host filesystem is shared")


def still_works(box: Sandbox, module: str = "good") -> None:
    """The current submission's other module still answers (after a crash, a restart)."""
    r = box.call(module, "double", (np.arange(3),))
    assert r.status == "ok", r
    assert np.array_equal(r.value, [0, 2, 4])


# ------------------------------------------------------------------ basics


def test_protections_reported(box):
    prot = box.protections
    assert prot["seccomp"] and prot["rlimits"]
    if confined(box):
        assert box.missing_protections == []
    else:  # machines without bubblewrap, or NNGRADE_SANDBOX=none
        assert "mount_namespace" in box.missing_protections
        assert not HAVE_BWRAP or os.environ.get("NNGRADE_SANDBOX") == "none"


def test_call_statuses(box):
    status = box.load(
        {
            "good": OK_MODULE,
            "mod": src(
                """
                import numpy as np
                from good import double
                def raises(x):
                    return {}[x]
                def todo(x):
                    raise NotImplementedError("write me")
                VALUE = 3
                def noisy():
                    print("hello from the student")
                    return np.exp(np.array([1000.0]))
                def sibling(x):
                    return double(x) + 1
                """
            ),
            "broken": "def f(:\n",
        }
    )
    assert status["good"] == "ok" and status["mod"] == "ok"
    assert "SyntaxError" in status["broken"]
    r = box.call("mod", "raises", ("k",))
    assert r.status == "raised" and "KeyError" in r.error and "mod.py" in r.error
    assert r.error_type == "KeyError"
    assert "box.py" not in r.error and "main.py" not in r.error  # student frames only
    assert box.call("mod", "todo", (1,)).status == "not_implemented"
    assert box.call("mod", "nope").status == "missing_name"
    assert box.call("mod", "VALUE").status == "missing_name"
    assert box.call("absent", "f").status == "missing_module"
    r = box.call("broken", "f")
    assert r.status == "import_error" and "SyntaxError" in r.error
    r = box.call("mod", "noisy")
    assert r.status == "ok" and "hello from the student" in r.output
    assert any("overflow" in w for w in r.warnings)
    assert np.isinf(r.value).all()
    r = box.call("mod", "sibling", (np.ones(2),))
    assert r.ok and np.array_equal(r.value, [3.0, 3.0])


def test_values_round_trip(box):
    box.load(
        {
            "m": src(
                """
                import numpy as np
                def echo(*args, **kwargs):
                    return args, kwargs
                def draw(rng):
                    return rng.normal(size=3)
                def apply(f, x):
                    return f(x)
                def scalars():
                    return np.float32(1.5), np.int64(7), np.bool_(True), 2**70, None, "s"
                """
            )
        }
    )
    value = {"a": [1, 2.5, None, True], "b": (np.arange(6).reshape(2, 3), "x")}
    r = box.call("m", "echo", (value, np.float32(2.0)), {"k": np.zeros((0, 2), dtype=np.uint8)})
    assert r.ok, r
    args, kwargs = r.value
    assert args[0]["a"] == [1, 2.5, None, True]
    assert isinstance(args[0]["b"], tuple) and np.array_equal(
        args[0]["b"][0], np.arange(6).reshape(2, 3)
    )
    assert kwargs["k"].shape == (0, 2) and kwargs["k"].dtype == np.uint8
    r = box.call("m", "draw", (Rng(5),))
    assert np.array_equal(r.value, Rng(5).generator().normal(size=3))
    fn = Fn("quadratic", {"c": 1.0})
    r = box.call("m", "apply", (fn, np.zeros(3)))
    assert r.ok and r.value == pytest.approx(fn(np.zeros(3))) == 1.5
    r = box.call("m", "scalars")
    assert r.value == (1.5, 7, True, 2**70, None, "s")
    assert [type(v) for v in r.value[1:3]] == [int, bool]
    # a float32 number keeps its dtype (a 0-d array) so that float32 code is judged at
    # float32's precision and told so (issue 13); float64 numbers are Python floats
    assert r.value[0].dtype == np.float32 and r.value[0].shape == ()


def call_request(module: str, name: str, args: tuple = (), timeout: float | None = None) -> dict:
    return {"op": "call", "module": module, "name": name, "args": args, "timeout": timeout}


def run_all(box: Sandbox, requests: list[dict]) -> tuple[list, list[int]]:
    """Every request's result, sending the rest again after each batch that ended early
    (what the runner does); also the length of each batch's answer."""
    results: list = []
    answered: list[int] = []
    while len(results) < len(requests):
        batch = box.run_batch(requests[len(results):])
        assert 1 <= len(batch) <= len(requests) - len(results)
        answered.append(len(batch))
        results += batch
    return results, answered


def test_run_batch_pipelines_and_isolates_failures(box):
    box.load(
        {
            "m": src(
                """
                import os, ctypes, numpy as np
                def double(x): return 2 * np.asarray(x)
                def boom(): os._exit(3)
                def loop():
                    while True:
                        pass
                def segv(): return ctypes.string_at(0)
                def big(n): return np.zeros(n)
                """
            )
        }
    )
    results = box.run_batch([call_request("m", "double", (i,)) for i in range(100)])
    assert [r.value for r in results] == [2 * i for i in range(100)]
    assert all(r.ok and r.seconds > 0 for r in results)
    mixed = [
        call_request("m", "double", (1,), 0.5),
        call_request("m", "boom", (), 0.5),
        {**call_request("m", "double", (2,), 0.5), "kwargs": {}},
        call_request("m", "loop", (), 0.5),
        call_request("m", "big", (20_000,), 0.5),  # replies larger than the pipelining window
        call_request("m", "big", (20_000,), 0.5),
        call_request("m", "nope", (), 0.5),
        call_request("m", "segv", (), 0.5),
        call_request("absent", "f", (), 0.5),
        call_request("m", "double", (3,), 0.5),
    ]
    results, answered = run_all(box, mixed)
    assert [r.status for r in results] == [
        "ok",
        "crashed",
        "ok",
        "timeout",
        "ok",
        "ok",
        "missing_name",
        "crashed",
        "missing_module",
        "ok",
    ]
    # A batch ends with its first crash or timeout: the caller sends the rest again.
    assert answered == [2, 2, 4, 2]
    assert results[0].value == 2 and results[2].value == 4 and results[-1].value == 6
    assert results[4].value.shape == (20_000,)
    assert box.run_batch([]) == []


def test_call_and_drive_are_batches_of_one(box):
    """`call` and `drive` answer exactly as a one-request `run_batch` does."""
    box.load({"m": src(
        """
        import os
        def double(x): return 2 * x
        def boom(): os._exit(3)
        """
    ), "regularization": "x = 1\n"})
    for request, direct in (
        (call_request("m", "double", (4,)), lambda: box.call("m", "double", (4,))),
        (call_request("m", "nope"), lambda: box.call("m", "nope")),
        (call_request("m", "boom"), lambda: box.call("m", "boom")),
        ({"op": "drive", "driver": "early_stopping", "params": {"patience": 1, "losses": [1.0]}},
         lambda: box.drive("early_stopping", {"patience": 1, "losses": [1.0]})),
    ):
        (batched,) = box.run_batch([request])
        called = direct()
        assert (called.status, called.value, called.error, called.limit) == (
            batched.status, batched.value, batched.error, batched.limit), request
    assert box.call("m", "double", (4,)).value == 8
    assert box.call("m", "boom").status == "crashed"
    assert box.drive("early_stopping", {}).status == "missing_name"


def test_a_request_encoded_once_is_sent_as_often_as_wanted(box):
    """`encode_request` bodies (what replays keep) go out like the requests they encode."""
    box.load({"m": OK_MODULE})
    plain = {"op": "call", "module": "m", "name": "double", "args": (np.arange(3.0),)}
    body = box.encode_request(plain)
    assert body == box.encode_request(dict(plain)) != box.encode_request(
        {**plain, "args": (np.arange(4.0),)})
    results = box.run_batch([{"body": body}, plain, {"body": body, "timeout": 0.5}])
    assert [r.status for r in results] == ["ok"] * 3
    assert all(np.array_equal(r.value, [0.0, 2.0, 4.0]) for r in results)
    with pytest.raises(ValueError, match="encode_request"):
        box.run_batch([{"body": b'{"evil": 1}'}])


def test_script_driver(box):
    box.load(
        {
            "reg": src(
                """
                class Counter:
                    def __init__(self, start):
                        self.n = start
                    def add(self, k):
                        self.n += k
                        return self.n
                """
            )
        }
    )
    steps = [
        {"call": "Counter", "args": [10], "as": "c"},
        {"method": "add", "on": "c", "args": [5]},
        {"get": "n", "on": "c"},
    ]
    r = box.drive("script", {"module": "reg", "steps": steps})
    assert r.ok, r
    assert isinstance(r.value[0], Opaque) and r.value[0].type_name == "reg.Counter"
    assert r.value[1:] == [15, 15]
    r = box.drive("script", {"module": "other", "steps": steps})
    assert r.status == "missing_module"
    r = box.drive("script", {"module": "reg", "steps": [{"call": "Nope"}]})
    assert r.status == "missing_name"
    with pytest.raises(KeyError):
        box.drive("no_such_driver", {})


# ------------------------------------------------------------------ cheating on values


def test_monkeypatched_numpy_does_not_reach_the_grader(box):
    status = box.load(
        {
            "cheat": src(
                """
                import numpy as np, numpy.testing
                np.allclose = lambda *a, **k: True
                np.array_equal = lambda *a, **k: True
                np.isclose = lambda *a, **k: np.True_
                np.testing.assert_allclose = lambda *a, **k: None
                np.ndarray.__eq__ = None  # not allowed on a built-in type: raises
                """
            ),
            "cheat2": src(
                """
                import numpy as np, numpy.testing
                np.allclose = lambda *a, **k: True
                np.array_equal = lambda *a, **k: True
                np.testing.assert_allclose = lambda *a, **k: None
                def sigmoid(z):
                    return np.zeros_like(z)
                """
            ),
        }
    )
    assert "TypeError" in status["cheat"]
    r = box.call("cheat2", "sigmoid", (np.array([0.0, 1.0]),))
    assert r.ok and type(r.value) is np.ndarray
    assert not np.allclose(r.value, [0.5, 0.7310585786])
    assert not np.array_equal(r.value, [0.5, 0.7310585786])
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(r.value, [0.5, 0.7310585786])


def test_always_equal_objects_cross_as_opaque(box):
    box.load(
        {
            "eq": src(
                """
                import numpy as np
                class Always:
                    def __eq__(self, other): return True
                    def __ne__(self, other): return False
                    def __hash__(self): return 0
                    def __repr__(self): raise SystemExit("no repr for you")
                class Evil(np.ndarray):
                    def __eq__(self, other): return np.ones(np.shape(other), bool)
                    def view(self, *a): raise RuntimeError("no")
                    def tobytes(self, *a): raise RuntimeError("no")
                class Liar(float):
                    def __eq__(self, other): return True
                class Meta(type):
                    @property
                    def __name__(cls): return "numpy.ndarray"
                class Shifty(metaclass=Meta):
                    __class__ = property(lambda self: np.ndarray)
                def always(): return Always()
                def evil(): return np.array([1.0, 2.0]).view(Evil)
                def liar(): return Liar(0.25)
                def shifty(): return Shifty()
                def nested(): return [1, {"k": Always()}, (Always(),)]
                def generator(): return (i for i in range(3))
                def keyed(): return {Always(): 1}
                def complex_(): return np.array([1j])
                def objects(): return np.array([Always()], dtype=object)
                """
            )
        }
    )
    r = box.call("eq", "always")
    assert r.ok and isinstance(r.value, Opaque) and r.value.type_name == "eq.Always"
    assert r.value != 1.0 and not (r.value == np.array([1.0]))
    r = box.call("eq", "evil")
    assert type(r.value) is np.ndarray and np.array_equal(r.value, [1.0, 2.0])
    assert not np.array_equal(r.value, [9.0, 9.0])
    r = box.call("eq", "liar")
    assert type(r.value) is float and r.value == 0.25 and r.value != 0.5
    assert isinstance(box.call("eq", "shifty").value, Opaque)
    nested = box.call("eq", "nested").value
    assert isinstance(nested[1]["k"], Opaque) and isinstance(nested[2][0], Opaque)
    for name in ("generator", "keyed", "complex_", "objects"):
        r = box.call("eq", name)
        assert r.ok and isinstance(r.value, Opaque), (name, r)


def test_huge_results_are_refused(box):
    box.load(
        {
            "big": src(
                """
                import numpy as np
                def view(): return np.broadcast_to(0.0, (10**9,))
                def deep():
                    x = []
                    for _ in range(10000):
                        x = [x]
                    return x
                def many(): return [0] * 3_000_000
                def cyclic():
                    x = []
                    x.append(x)
                    return x
                """
            ),
            "good": OK_MODULE,
        }
    )
    r = box.call("big", "view")
    assert r.status == "bad_result" and "1000000000" in r.error and r.limit == "max_elements"
    for name in ("deep", "many", "cyclic"):
        r = box.call("big", name)
        assert r.status == "bad_result", (name, r)
    still_works(box)


# ------------------------------------------------------------------ killing the worker


def test_exit_at_import_and_in_calls(box):
    status = box.load(
        {
            "sysexit": "import sys\nsys.exit(0)\n",
            "osexit": "import os\nos._exit(0)\n",
            "segv": "import ctypes\nctypes.string_at(0)\n",
            "uses_osexit": "import osexit\n",
            "calls": src(
                """
                import os, sys, ctypes
                def sysexit(): sys.exit(0)
                def osexit(): os._exit(0)
                def interrupt(): raise KeyboardInterrupt
                def segv(): return ctypes.string_at(0)
                """
            ),
            "good": OK_MODULE,
        }
    )
    assert "SystemExit" in status["sysexit"]
    assert "died while importing osexit.py" in status["osexit"]
    assert "died while importing segv.py" in status["segv"]
    assert "osexit.py" in status["uses_osexit"]
    assert status["good"] == "ok" and status["calls"] == "ok"
    r = box.call("calls", "sysexit")
    assert r.status == "raised" and "SystemExit" in r.error
    assert box.call("calls", "interrupt").status == "raised"
    r = box.call("calls", "osexit")
    assert r.status == "crashed" and "exit status 0" in r.error
    still_works(box)
    r = box.call("calls", "segv")
    assert r.status == "crashed" and "SIGSEGV" in r.error
    still_works(box)


def test_infinite_loops_are_stopped(box):
    box.load(
        {
            "loop": src(
                """
                import signal, time
                def plain():
                    while True:
                        pass
                def stubborn():
                    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):
                        signal.signal(s, signal.SIG_IGN)
                    while True:
                        try:
                            time.sleep(0.01)
                        except BaseException:
                            pass
                def sleeper():
                    time.sleep(60)
                """
            ),
            "good": OK_MODULE,
        }
    )
    t0 = time.monotonic()
    r = box.call("loop", "plain")
    assert r.status == "timeout" and r.limit == "call_seconds"
    r = box.call("loop", "stubborn", timeout=0.5)
    assert r.status == "timeout"
    assert "stopped and replaced" in r.error
    r = box.call("loop", "sleeper", timeout=0.3)
    assert r.status == "timeout"
    assert time.monotonic() - t0 < 6
    still_works(box)


def test_sources_that_break_the_compiler(box):
    status = box.load(
        {
            "deep": "x = " + "-" * 200_000 + "1\n",
            "nested": "x = " + "(" * 300 + ")" * 300 + "\n",
            "nul": "x = 1\x00\n",
            "good": OK_MODULE,
        }
    )
    assert status["good"] == "ok"
    assert all(status[m] != "ok" for m in ("deep", "nested", "nul")), status
    still_works(box)


def test_import_that_never_ends(box):
    status = box.load(
        {
            "hang": "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
            "while True: pass\n",
            "good": OK_MODULE,
        }
    )
    assert "did not finish" in status["hang"] and status["good"] == "ok"
    assert box.call("hang", "f").status == "import_error"
    still_works(box)


def test_endless_import_progress_cannot_stall_a_load():
    limits = Limits(import_seconds=0.5, submission_seconds=2.0, grace_seconds=0.3)
    spam = src(
        """
        import os, json, struct
        body = b'{"kind":"progress","id":1,"event":"importing","module":"x"}'
        while True:
            os.write(4, struct.pack(">I", len(body)) + body)
        """
    )
    with Sandbox(limits) as small:
        t0 = time.monotonic()
        status = small.load({"spam": spam, "good": OK_MODULE})
        assert time.monotonic() - t0 < 6
        assert status["spam"] != "ok"


def test_a_forged_load_reply_costs_the_forger_only(box):
    """A module that answers the load request itself, with a reply of the wrong shape,
    is refused like a module that crashed the worker; the load never raises."""
    forge = src(
        """
        import json, os, struct, sys
        frame, rid = sys._getframe(), None
        while frame is not None:  # the worker's own frame holds the load request
            message = frame.f_locals.get("message")
            if isinstance(message, dict) and message.get("op") == "load":
                rid = message["id"]
                break
            frame = frame.f_back
        body = json.dumps({"kind": "reply", "id": rid, "status": "ok", "value": []}).encode()
        os.write(4, struct.pack(">I", len(body)) + body)
        """
    )
    status = box.load({"forge": forge, "good": OK_MODULE})
    assert status["good"] == "ok"
    assert status["forge"].startswith("importing forge.py broke the worker's replies"), status
    assert "malformed load reply" in status["forge"]
    still_works(box)
    assert box.call("forge", "anything").status == "import_error"


def test_file_flood_is_stopped(box):
    needs_namespaces(box)
    box.load(
        {
            "flood": src(
                """
                def files():
                    i = 0
                    while True:
                        open("/tmp/f%d" % i, "w").close()
                        i += 1
                """
            ),
            "good": OK_MODULE,
        }
    )
    r = box.call("flood", "files", timeout=20)
    assert r.status == "crashed" and r.limit == "scratch_files", r
    still_works(box)


def test_memory_limits(box):
    box.load(
        {
            "mem": src(
                """
                import numpy as np
                def numpy8g(): return np.ones(8 * 2**30 // 8).sum()
                def bytes8g(): return len(bytearray(8 * 2**30))
                def grow():
                    chunks = []
                    while True:
                        chunks.append(np.empty(64 * 2**20, np.uint8))
                """
            ),
            "good": OK_MODULE,
        }
    )
    for name in ("numpy8g", "bytes8g", "grow"):
        r = box.call("mem", name, timeout=5)
        assert r.status in ("raised", "crashed"), (name, r)
        if r.status == "raised":
            assert "MemoryError" in r.error and r.limit == "memory_bytes"
        still_works(box)


def test_recursion(box):
    box.load(
        {
            "rec": src(
                """
                import sys
                def f(n): return f(n + 1)
                def deep():
                    sys.setrecursionlimit(10**7)
                    return f(0)
                """
            ),
            "good": OK_MODULE,
        }
    )
    r = box.call("rec", "f", (0,))
    assert r.status == "raised" and "RecursionError" in r.error and len(r.error) <= 2 * 2000
    assert box.call("rec", "deep").status in ("crashed", "raised", "timeout")
    still_works(box)


def test_thread_bomb_is_bounded(box):
    box.load(
        {
            "threads": src(
                """
                import threading, time
                def bomb():
                    started = 0
                    try:
                        for _ in range(1000):
                            threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
                            started += 1
                    except RuntimeError:
                        pass
                    return started
                def huge_string():
                    return "x" * (8 << 20)
                """
            ),
            "good": OK_MODULE,
        }
    )
    r = box.call("threads", "huge_string")
    assert r.status == "bad_result" and "string" in r.error
    # Threads are allowed, but RLIMIT_NPROC (and their stacks in RLIMIT_AS) bound them.
    r = box.call("threads", "bomb", timeout=5)
    assert r.ok and 1 <= r.value < LIMITS.processes, r
    still_works(box)


def test_output_is_truncated(box):
    box.load(
        {
            "loud": src(
                """
                import os, sys
                def python():
                    print("x" * (100 * 2**20))
                    print("the end")
                    return 1
                def fd():
                    for _ in range(64):
                        os.write(1, b"y" * 2**20)
                    return 2
                """
            )
        }
    )
    r = box.call("loud", "python", timeout=5)
    assert r.ok and r.value == 1 and r.output.endswith("the end\n")
    assert len(r.output) < LIMITS.output_chars + 200 and "not shown" in r.output
    r = box.call("loud", "fd", timeout=5)
    assert r.status in ("ok", "raised")  # past RLIMIT_FSIZE the write fails with EFBIG
    assert len(r.output) < LIMITS.output_chars + 200


# ------------------------------------------------------------------ escaping


def test_grader_code_is_not_importable(box):
    box.load(
        {
            "probe": src(
                """
                import importlib
                def attempts():
                    out = {}
                    for name in ("reference", "solutions", "nngrade", "grader",
                                 "nngrade.reference", "nngrade.suites", "nngrade.worker",
                                 "suites", "exercises.activations", "exercises.reference",
                                 "click", "pytest"):
                        try:
                            importlib.import_module(name)
                            out[name] = "imported"
                        except BaseException as e:
                            out[name] = type(e).__name__
                    return out
                """
            )
        }
    )
    r = box.call("probe", "attempts")
    assert r.ok
    # ``exercises`` itself is the submission's own package (issue 13: the handout's import
    # forms); it holds the submission's modules and nothing else.
    assert set(r.value.values()) == {"ModuleNotFoundError"}, r.value


def test_hidden_files_are_not_readable(box):
    needs_namespaces(box)
    box.load(
        {
            "snoop": src(
                """
                import os
                def read(path):
                    try:
                        with open(path, "rb") as f:
                            return "read %d bytes" % len(f.read())
                    except OSError as e:
                        return type(e).__name__
                def listdir(path):
                    try:
                        return sorted(os.listdir(path))
                    except OSError as e:
                        return type(e).__name__
                def fd_links(path):
                    return [os.readlink(os.path.join(path, fd)) for fd in os.listdir(path)]
                def find(names):
                    # Everything but /usr and the standard library's own modules.
                    stdlib = os.path.dirname(os.__file__)
                    hits = []
                    for top in ("/", "/proc/1/root", "/proc/self/cwd", "/proc/self/root"):
                        for root, dirs, files in os.walk(top):
                            if root.endswith(("/proc", "/sys", "/dev", "/usr")):
                                dirs[:] = []
                                continue
                            if root.endswith(stdlib):
                                dirs[:] = [d for d in dirs if d.endswith("-packages")]
                                files = []
                            for n in files + dirs:
                                if n in names:
                                    hits.append(os.path.join(root, n))
                    return hits
                """
            )
        }
    )
    targets = [
        str(SUITES / "test_activations.py"),
        str(REPO / "grader" / "nngrade" / "rubric.toml"),
        str(REPO / "reference" / "engine.py"),
        str(REPO / "solutions" / "activations.py"),
        "/etc/shadow",
        "/proc/1/root" + str(REPO / "pyproject.toml"),
    ]
    for target in targets:
        assert box.call("snoop", "read", (target,)).value in (
            "FileNotFoundError",
            "PermissionError",
        ), target
    top = box.call("snoop", "listdir", ("/",)).value
    assert "work" not in top and "home" not in top
    secret_names = [
        "rubric.toml",
        "test_activations.py",
        "engine.py",
        "suites",
        "solutions",
        "pyproject.toml",
        "site-packages",
        ".venv",
        "nngrade.egg-info",
    ]
    r = box.call("snoop", "find", (secret_names,), timeout=10)
    assert r.ok, r
    assert [h for h in r.value if not h.endswith("/site-packages")] == []
    for hit in r.value:  # the stdlib's site-packages is there only as an empty mount
        assert box.call("snoop", "listdir", (hit,)).value == []
    # bubblewrap's pid 1 holds nothing of the host (it once held the grader's log
    # file as its stderr: a channel from one student's child to the next one's).
    links = box.call("snoop", "fd_links", ("/proc/1/fd",)).value
    assert set(links) <= {"/dev/null"} | {v for v in links if v.startswith("anon_inode:")}
    # stdin, the output capture twice, the two pipes, and listdir's own directory fd:
    # nothing of the zygote's (no control socket) is inherited.
    assert box.call("snoop", "listdir", ("/proc/self/fd",)).value == list("012345")


def test_writes_outside_scratch_fail(box, tmp_path):
    needs_namespaces(box)
    host_target = tmp_path / "results.json"
    box.load(
        {
            "forge": src(
                """
                import os
                def write_everywhere(host_target):
                    ok = []
                    stdlib = os.path.dirname(os.__file__)
                    for root, dirs, files in os.walk("/"):
                        if root.startswith(("/proc", "/sys")) or root == stdlib:
                            dirs[:] = []  # the stdlib is one read-only mount: tried once
                            continue
                        try:
                            with open(os.path.join(root, "results.json"), "w") as f:
                                f.write('{"score": 100}')
                            ok.append(root)
                        except OSError:
                            pass
                    for path in (host_target, "/work/main/results.json", "/root/results.json"):
                        try:
                            os.makedirs(os.path.dirname(path), exist_ok=True)
                            with open(path, "w") as f:
                                f.write('{"score": 100}')
                            ok.append(path)
                        except OSError:
                            pass
                    return ok
                """
            )
        }
    )
    r = box.call("forge", "write_everywhere", (str(host_target),), timeout=10)
    assert r.ok, r
    assert not host_target.exists()
    assert not (REPO / "results.json").exists()
    if confined(box):
        assert set(r.value) <= {
            "/tmp",
            "/dev/shm",
            str(host_target),
            "/work/main/results.json",
            "/root/results.json",
        } | {p for p in r.value if p.startswith("/tmp/")}
        # What it "wrote" to host paths went into its own private /tmp-less root: gone.


def test_no_processes_network_or_signals(box):
    box.load(
        {
            "esc": src(
                """
                import os, socket, subprocess, signal, threading, ctypes
                def unshare(libc):
                    if libc.unshare(0x10000000) != 0:  # CLONE_NEWUSER
                        raise PermissionError(ctypes.get_errno(), "unshare")
                def attempt(what):
                    try:
                        return ("allowed", what())
                    except BaseException as e:
                        return (type(e).__name__, str(e)[:80])
                def run():
                    libc = ctypes.CDLL(None, use_errno=True)
                    out = {
                      "fork": attempt(os.fork),
                      "subprocess": attempt(lambda: subprocess.run(["/bin/true"]).returncode),
                      "socket": attempt(lambda: socket.socket().connect(("127.0.0.1", 22))),
                      "udp": attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)),
                      "unix": attempt(lambda: socket.socket(socket.AF_UNIX)),
                      "kill_init": attempt(lambda: os.kill(1, signal.SIGKILL)),
                      "kill_zygote": attempt(lambda: os.kill(os.getppid(), signal.SIGKILL)),
                      "kill_all": attempt(lambda: os.kill(-1, signal.SIGKILL)),
                      "ptrace": attempt(lambda: libc.ptrace(16, os.getppid(), 0, 0)),
                      "unshare": attempt(lambda: unshare(libc)),
                    }
                    t = threading.Thread(target=lambda: None)
                    t.start(); t.join()
                    out["thread"] = ("allowed", "ok")
                    out["self_signal"] = attempt(lambda: os.kill(os.getpid(), 0))
                    return out
                def fork_bomb():
                    while True:
                        os.fork()
                """
            ),
            "good": OK_MODULE,
        }
    )
    r = box.call("esc", "run")
    assert r.ok, r
    out = r.value
    for key in (
        "fork",
        "subprocess",
        "socket",
        "udp",
        "unix",
        "kill_init",
        "kill_zygote",
        "kill_all",
        "unshare",
    ):
        assert out[key][0] == "PermissionError", (key, out[key])
    assert out["ptrace"] == ("allowed", -1)
    assert out["thread"][0] == "allowed" and out["self_signal"][0] == "allowed"
    r = box.call("esc", "fork_bomb")
    assert r.status == "raised" and "PermissionError" in r.error
    still_works(box)


def test_forged_frames_are_bad_results(box):
    box.load(
        {
            "forger": src(
                """
                import os, json, struct
                def frame(obj):
                    body = json.dumps(obj).encode()
                    return struct.pack(">I", len(body)) + body
                def garbage():
                    os.write(4, b"\\xff" * 64)
                    return 1
                def huge_header():
                    os.write(4, struct.pack(">I", 2**31))
                    return 1
                def wrong_id():
                    os.write(4, frame({"kind": "reply", "id": -5, "status": "ok", "value": 1}))
                    return 1
                def bad_array():
                    os.write(4, frame({"kind": "progress"}))
                    os.write(4, frame({"kind": "reply", "id": None, "status": "ok",
                                       "value": {"$": "nd", "dtype": "|O", "shape": [1],
                                                 "data": "AA=="}}))
                    return 1
                def container_bomb():
                    body = b'{"kind":"reply","id":0,"v":[' + b"[]," * 2_000_000 + b"[]]}"
                    os.write(4, struct.pack(">I", len(body)) + body)
                    return 1
                def close_pipes():
                    os.close(4)
                    return 1
                def steal_requests():
                    import threading
                    def steal():
                        while True:
                            os.read(3, 1 << 20)
                    threading.Thread(target=steal, daemon=True).start()
                    return 1
                """
            ),
            "good": OK_MODULE,
        }
    )
    for name in ("garbage", "huge_header", "wrong_id", "bad_array", "container_bomb"):
        r = box.call("forger", name)
        assert r.status == "bad_result", (name, r)
        still_works(box)
    r = box.call("forger", "close_pipes")
    assert r.status in ("crashed", "timeout")
    still_works(box)
    box.call("forger", "steal_requests")
    # Requests now go to the thief or to the worker loop, at random: a stolen one
    # is a timeout (never a hang), after which the child is a fresh one.
    statuses = [box.call("good", "double", (1,), timeout=0.3).status for _ in range(12)]
    assert set(statuses) <= {"ok", "timeout"} and "timeout" in statuses
    still_works(box)


def test_nothing_survives_into_the_next_submission(box):
    needs_namespaces(box)
    box.load(
        {
            "a": src(
                """
                import os, threading, time
                def leave_traces():
                    with open("/tmp/secret_of_a", "w") as f:
                        f.write("answers")
                    os.makedirs("/tmp/locked/deeper", exist_ok=True)
                    open("/tmp/locked/deeper/x", "w").close()
                    os.chmod("/tmp/locked/deeper", 0)
                    os.chmod("/tmp/locked", 0)
                    with open("/dev/shm/shared_of_a", "w") as f:
                        f.write("answers")
                    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
                    return sorted(os.listdir("/proc"))
                """
            )
        }
    )
    assert box.call("a", "leave_traces").ok
    box.load(
        {
            "b": src(
                """
                import os
                def look():
                    pids = [p for p in os.listdir("/proc") if p.isdigit()]
                    return {"tmp": sorted(os.listdir("/tmp")),
                            "shm": sorted(os.listdir("/dev/shm")),
                            "cwd": sorted(os.listdir(".")),
                            "pids": sorted(pids, key=int)}
                """
            )
        }
    )
    r = box.call("b", "look")
    assert r.ok, r
    assert "secret_of_a" not in str(r.value)
    if confined(box):
        assert r.value["tmp"] == ["work"] and r.value["shm"] == [] and r.value["cwd"] == []
        assert r.value["pids"] == ["1", "2", "3"] or len(r.value["pids"]) == 3


def test_sandbox_restarts_when_the_zygote_dies(box):
    import signal

    box.load({"good": OK_MODULE})
    still_works(box)
    starts = box.stats["zygote_starts"]
    os.killpg(box._zygote.pid, signal.SIGKILL)  # an infrastructure failure, not a student's
    deadline = time.monotonic() + 5
    while box._zygote.running and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # bubblewrap's pid 1 takes the sandbox's processes with it
    r = box.call("good", "double", (1,))
    assert r.status == "crashed" and "sandbox stopped" in r.error, r
    still_works(box)
    assert box.stats["zygote_starts"] == starts + 1


def test_shadowing_stdlib_names_is_reported(box):
    status = box.load({"numpy": "raise SystemExit", "random": "x = 1", "good": OK_MODULE})
    assert "rename" in status["numpy"] and "rename" in status["random"]
    still_works(box)


def test_submission_time_budget():
    limits = Limits(call_seconds=1.0, submission_seconds=1.5, grace_seconds=0.3)
    with Sandbox(limits) as small:
        small.load({"slow": "import time\ndef nap(s):\n    time.sleep(s)\n    return s\n"})
        assert small.call("slow", "nap", (0.9,)).ok
        r = small.call("slow", "nap", (0.9,))
        assert r.status == "timeout" and r.limit == "submission_seconds"
        t0 = time.monotonic()
        r = small.call("slow", "nap", (0.0,))
        assert r.status == "timeout" and "time budget" in r.error
        assert time.monotonic() - t0 < 0.1
        small.load({"slow": "def nap(s):\n    return s\n"})  # a new submission, a new budget
        assert small.call("slow", "nap", (1,)).value == 1
        small.load({"slow": "import time\ndef nap(s):\n    time.sleep(s)\n    return s\n"})
        results = small.run_batch([call_request("slow", "nap", (0.6,))] * 4)
        assert [r.status for r in results] == ["ok", "ok", "timeout"]
        assert results[-1].limit == "submission_seconds"
        assert small.run_batch([call_request("slow", "nap", (0.0,))])[0].limit == (
            "submission_seconds")


def test_fallback_without_bubblewrap(tmp_path):
    with Sandbox(Limits(mode="none", call_seconds=1.0, grace_seconds=0.3)) as plain:
        assert plain.mode == "none"
        prot = plain.protections
        assert not prot["mount_namespace"] and not prot["pid_namespace"]
        assert prot["seccomp"] and prot["rlimits"]
        assert "network_namespace" in plain.missing_protections
        plain.load(
            {
                "m": src(
                    """
                    import os
                    def who():
                        return os.getuid(), os.getcwd()
                    def fork():
                        return os.fork()
                    def write(path):
                        open(path, "w").write("x")
                    """
                ),
                "good": OK_MODULE,
            }
        )
        uid, cwd = plain.call("m", "who").value
        if os.geteuid() == 0:
            assert uid == 65534
        assert "nngrade-sandbox-" in cwd
        assert plain.call("m", "fork").status == "raised"
        if os.geteuid() == 0:
            assert plain.call("m", "write", (str(tmp_path / "x"),)).status == "raised"
        still_works(plain)
        assert plain.call("good", "double", (np.ones(1),)).ok


def test_the_worker_imports_only_the_standard_library_numpy_and_itself():
    """The worker's rule: inside the sandbox nothing else exists (and nngrade is hidden
    from sys.modules before student code runs), so every import, at any depth, is one
    of these."""
    import ast
    import sys

    import nngrade.worker

    root = Path(nngrade.worker.__file__).parent
    allowed = set(sys.stdlib_module_names) | {"numpy", "__future__"}
    offending = []
    files = sorted(root.rglob("*.py"))
    assert {"main.py", "zygote.py", "child.py", "channel.py", "wording.py"} <= {
        f.name for f in files}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else ["nngrade.worker"]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in allowed and not (name + ".").startswith("nngrade.worker."):
                    offending.append(f"{path.relative_to(root)}:{node.lineno} {name}")
    assert not offending, offending


def test_masks_never_hide_the_interpreter(monkeypatch):
    """A python in /usr/local (python:3.x images) keeps its stdlib; its site-packages is hidden."""
    from nngrade.sandbox.launch import Layout, bwrap_argv

    real_isdir = os.path.isdir
    monkeypatch.setattr(os.path, "isdir", lambda p: p.startswith("/usr/local") or real_isdir(p))

    layout = Layout(
        python="/usr/local/bin/python3.11",
        stdlib="/usr/local/lib/python3.11",
        libpython="/usr/local/lib/libpython3.11.so.1.0",
        numpy="/x/site-packages/numpy",
        numpy_libs=None,
        worker="/x/nngrade/worker",
        secrets=("/usr/local/lib", "/usr/local/lib/python3.11/site-packages", "/x/nngrade"),
    )
    argv = bwrap_argv(layout, 3, 1 << 20)
    hidden = [argv[i + 1] for i, a in enumerate(argv) if a == "--tmpfs"]
    assert "/usr/local/lib/python3.11/site-packages" in hidden
    assert "/usr/local/lib" not in hidden
    assert "/x/nngrade" not in " ".join(argv[: argv.index("--")]).replace("/x/nngrade/worker", "")


reply_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["$", "v", "dtype", "shape", "data", "type", "text"]), inner
        )
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "status": st.sampled_from(["ok", "raised", "internal", "timeout", "bogus", 3]),
            "value": reply_values,
            "error": st.one_of(st.text(max_size=5), st.integers()),
            "output": st.one_of(st.text(max_size=5), st.none()),
            "warnings": st.one_of(st.lists(st.text(max_size=5)), st.text(), st.integers()),
            "limit": st.sampled_from([None, "call_seconds", "bogus", 1]),
            "error_type": st.one_of(st.text(max_size=5), st.integers()),
        },
    )
)
def test_any_reply_becomes_a_call_result(reply):
    """Whatever a hostile worker puts in a reply, the grader gets a CallResult, never an error."""
    result, condemned = reply_result(reply, 0.0, LIMITS, DecodeLimits(max_elements=1000))
    assert result.status == "bad_result" or not condemned
    assert result.status in STATUSES
    if result.status == "ok":
        assert not isinstance(result.value, dict) or all(isinstance(k, str) for k in result.value)
