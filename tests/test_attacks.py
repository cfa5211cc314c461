"""Hostile submissions earn nothing and disturb nobody.

One batch grades an honest student (the solutions) next to a class of
attackers, with -j 2 so attackers share grading processes and sandboxes with
the honest student. Every attack must score zero on what it attacks, leave
no file outside the sandbox, and leave the honest student's 100 intact.
"""

from __future__ import annotations

import json
import shutil
import textwrap
import zipfile
from pathlib import Path

import pytest

from nngrade.grade.options import BatchOptions
from nngrade.grade.pipeline import grade_directory

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"

# Each attack is the whole of a student's activations.py; other modules are absent.
# {FORGE} is replaced by the output folder, which a real attacker would have to guess.
ATTACKS: dict[str, str] = {
    "patch_numpy_compare": """
        import numpy as np
        np.allclose = lambda *a, **k: True
        np.isclose = lambda a, b, *x, **k: np.ones(np.shape(a), bool)
        np.array_equal = lambda *a, **k: True
        np.testing.assert_allclose = lambda *a, **k: None
        np.testing.assert_array_equal = lambda *a, **k: None
        def sigmoid(z): return np.zeros_like(z) + 7.0
        tanh = relu = sigmoid_prime = tanh_prime = relu_prime = sigmoid
    """,
    "always_equal": """
        import numpy as np
        class AlwaysEqual(np.ndarray):
            def __eq__(self, other): return True
            def __ne__(self, other): return False
            def __array_ufunc__(self, *a, **k): return AlwaysEqual((1,))
        class Anything:
            shape = property(lambda self: (1,))
            def __eq__(self, other): return True
            def __float__(self): return 0.0
            def __array__(self, *a, **k): raise RuntimeError("no")
        def sigmoid(z): return Anything()
        def tanh(z): return AlwaysEqual(np.shape(z))
        def relu(z): return Anything()
        def sigmoid_prime(z): return Anything()
        def tanh_prime(z): return Anything()
        def relu_prime(z): return AlwaysEqual(np.shape(z))
    """,
    "exit_at_import": """
        import sys
        sys.exit(0)
        def sigmoid(z): return 1 / (1 + __import__("numpy").exp(-z))
    """,
    "os_exit_at_import": """
        import os
        os._exit(0)
        def sigmoid(z): return 1 / (1 + __import__("numpy").exp(-z))
    """,
    "exit_in_function": """
        import os, sys
        def sigmoid(z): sys.exit(0)
        def tanh(z): os._exit(0)
        def relu(z): raise SystemExit(0)
        def sigmoid_prime(z): os._exit(1)
        def tanh_prime(z): raise KeyboardInterrupt
        def relu_prime(z): sys.exit("all tests passed")
    """,
    "loop_ignoring_signals": """
        import signal
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM, signal.SIGVTALRM,
                  signal.SIGPROF, signal.SIGXCPU, signal.SIGHUP, signal.SIGUSR1):
            try:
                signal.signal(s, signal.SIG_IGN)
            except (OSError, ValueError):
                pass
        def sigmoid(z):
            while True:
                try:
                    pass
                except BaseException:
                    pass
        tanh = relu = sigmoid_prime = tanh_prime = relu_prime = sigmoid
    """,
    "allocate_8gb": """
        import numpy as np
        def sigmoid(z):
            big = np.ones(8 * 1024**3 // 8)
            return big[: np.size(z)].reshape(np.shape(z))
        def tanh(z):
            chunks = []
            while True:
                chunks.append(bytearray(512 * 1024**2))
        relu = sigmoid_prime = tanh_prime = relu_prime = tanh
    """,
    "import_answer_key": """
        try:
            from reference.course.activations import *  # noqa
        except ImportError:
            from solutions.activations import *  # noqa
    """,
    "import_nngrade": """
        from nngrade.reference.course.activations import *  # noqa
    """,
    "read_hidden_suites": """
        import os, glob
        found = []
        for pattern in ["/work/**/suites/test_*.py", "/**/grader/suites/*.py",
                        "/proc/1/root/**/test_activations.py", "/root/**/*.py"]:
            try:
                found += glob.glob(pattern, recursive=True)[:5]
            except OSError:
                pass
        for cand in ["../grader/suites", "../../grader/suites", "/proc/self/cwd/../grader"]:
            try:
                found += os.listdir(cand)
            except OSError:
                pass
        SECRET = len(found)
        def sigmoid(z):
            if SECRET == 0:
                raise RuntimeError("could not find the hidden suites")
            return z * 0 + SECRET
        tanh = relu = sigmoid_prime = tanh_prime = relu_prime = sigmoid
    """,
    "forge_results": """
        import json, os
        forged = {"score": 100, "max_score": 100, "tests": []}
        targets = [{FORGE!r} + "/forge_results/results.json",
                   {FORGE!r} + "/patch_numpy_compare/results.json",
                   {FORGE!r} + "/gradebook.csv",
                   "../results.json", "/tmp/../results.json", os.path.expanduser("~/results.json")]
        WROTE = []
        for t in targets:
            try:
                os.makedirs(os.path.dirname(t) or ".", exist_ok=True)
                with open(t, "w") as fh:
                    json.dump(forged, fh)
                WROTE.append(t)
            except OSError:
                pass
        def sigmoid(z):
            raise RuntimeError("forged: " + repr(WROTE))
    """,
    "fork_and_network": """
        import os, socket, subprocess
        def sigmoid(z):
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            return z
        def tanh(z):
            subprocess.run(["sh", "-c", "echo pwned > /tmp/pwned"])
            return z
        def relu(z):
            s = socket.create_connection(("127.0.0.1", 22), timeout=1)
            return z
        sigmoid_prime = tanh_prime = relu_prime = relu
    """,
    "hostile_output": """
        import sys, os
        def sigmoid(z):
            sys.stdout.write("x" * 50_000_000)
            os.write(1, b"\\x00" * 10_000_000)
            os.write(3, b"garbage frame")
            return z
        def tanh(z):
            for fd in range(3, 64):
                try:
                    os.write(fd, b'{"status": "ok", "value": 1}\\n' * 100)
                except OSError:
                    pass
            return z
        def relu(z):
            import numpy as np
            return np.zeros(10**9)
        def sigmoid_prime(z):
            def f(n): return f(n + 1)
            return f(0)
        def tanh_prime(z):
            import ctypes
            return ctypes.string_at(0)
        def relu_prime(z):
            raise ValueError("x" * 10_000_000)
    """,
}


def _write(folder: Path, source: str, forge: Path) -> None:
    folder.mkdir(parents=True)
    text = textwrap.dedent(source).replace("{FORGE!r}", repr(str(forge)))
    (folder / "activations.py").write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def attacked_class(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict]]:
    base = tmp_path_factory.mktemp("attacks")
    subs, out = base / "subs", base / "out"
    subs.mkdir()
    shutil.copytree(SOLUTIONS, subs / "honest")
    for name, source in ATTACKS.items():
        _write(subs / name, source, out)
    # A zip whose entries escape with ../, are absolute, or are symlinks.
    with zipfile.ZipFile(subs / "zip_escape.zip", "w") as zf:
        zf.writestr("../../escaped.py", "print('escaped')\n")
        zf.writestr("/tmp/absolute.py", "print('absolute')\n")
        link = zipfile.ZipInfo("exercises/activations.py")
        link.external_attr = (0o120777 << 16)  # a symlink entry
        zf.writestr(link, "/etc/passwd")
        zf.writestr("exercises/perceptron.py", "def step(x):\n    return x > 0\n")
    # A folder whose module is a symlink to the hidden suite: must not be read.
    (subs / "symlink_folder").mkdir()
    (subs / "symlink_folder" / "activations.py").symlink_to(
        ROOT / "grader" / "nngrade" / "suites" / "test_activations.py")
    options = BatchOptions(call_timeout=2.0, submission_timeout=60.0, memory_mb=768,
                           reports=False)
    results = grade_directory(subs, out, jobs=2, seed=7, force=True, options=options)
    return out, {r["nngrade"]["student"]: r for r in results}


def test_honest_student_keeps_full_marks(attacked_class: tuple[Path, dict]) -> None:
    _, results = attacked_class
    assert results["honest"]["score"] == results["honest"]["max_score"] == 100


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_earns_nothing(attacked_class: tuple[Path, dict], attack: str) -> None:
    _, results = attacked_class
    res = results[attack]
    assert res["score"] == 0, [t["name"] for t in res["tests"] if t["score"] > 0]
    activations = [t for t in res["tests"] if t["tags"][0] == "activations"]
    assert activations and all(t["status"] == "failed" for t in activations)


def test_forged_results_are_not_written(attacked_class: tuple[Path, dict]) -> None:
    out, results = attacked_class
    for student in ("forge_results", "patch_numpy_compare"):
        on_disk = json.loads((out / student / "results.json").read_text())
        assert on_disk["score"] == 0
        assert on_disk["nngrade"]["student"] == student
    assert "forged" not in (out / "gradebook.csv").read_text()
    assert not (out.parent / "results.json").exists()


def test_zip_escape_writes_nothing_outside(attacked_class: tuple[Path, dict]) -> None:
    out, results = attacked_class
    res = results["zip_escape"]
    assert not (out.parent / "escaped.py").exists()
    assert not Path("/tmp/absolute.py").exists()
    assert res["nngrade"]["modules"]["activations"]["status"] != "ok"
    assert res["nngrade"]["warnings"], "the unsafe entries must be reported"
    # the safe entry is still graded
    assert res["nngrade"]["modules"]["perceptron"]["status"] == "ok"


def test_symlinked_module_is_not_followed(attacked_class: tuple[Path, dict]) -> None:
    _, results = attacked_class
    res = results["symlink_folder"]
    assert res["score"] == 0
    assert res["nngrade"]["modules"]["activations"]["status"] != "ok"
    assert "contract(" not in json.dumps(res), "hidden test source leaked into results"


def test_failures_explain_themselves(attacked_class: tuple[Path, dict]) -> None:
    _, results = attacked_class
    kinds = {t["extra_data"]["kind"] for t in results["loop_ignoring_signals"]["tests"]
             if t["tags"][0] == "activations"}
    assert "timeout" in kinds
    import_err = results["exit_at_import"]["nngrade"]["modules"]["activations"]
    assert import_err["status"] == "import_error" and "exit" in import_err["message"].lower()
    died = results["os_exit_at_import"]["nngrade"]["modules"]["activations"]
    assert died["status"] == "import_error"
    for res in results.values():
        for test in res["tests"]:
            assert "def test_" not in test["output"]
