"""`nngrade grade`'s head start (`nngrade.grade.early`, `nngrade.console`).

The console script forks the first grading process before the command has
read its options; the pool adopts it. What must hold: the grade is the same
as without it, the process is really the one that grades (the pool forks no
other), options that need another sandbox get one, and a process nobody
adopts goes away with its sandbox, also when the command dies without
cleaning up. Each scenario runs in a fresh interpreter, as the command does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sample_class import copy_sample_class

from nngrade.console import starts_early

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the head start forks, as the pool does, on Linux only")


@pytest.mark.parametrize(("argv", "expected"), [
    (["grade", "subs", "--out", "o"], True),
    (["grade", "--assignment", "hw1"], True),
    (["grade", "--help"], False),
    (["grade", "subs", "--out", "o", "--cluster", "local:2"], False),
    (["grade", "subs", "--out", "o", "--cluster=local:2"], False),
    (["grade", "--nbgrader", "course", "ps1"], False),
    (["check"], False),
    (["merge", "o"], False),
    ([], False),
])
def test_only_a_local_grading_starts_early(argv: list[str], expected: bool) -> None:
    assert starts_early(argv) is expected


def _run(script: str, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script), *args],
                          capture_output=True, text=True, timeout=timeout, check=False)


def _verdicts(results: dict) -> list[tuple[str, float, str]]:
    return [(t["name"], t["score"], t["status"]) for t in results["tests"]]


def test_the_console_script_grades_as_the_plain_command(tmp_path: Path) -> None:
    """The same hand-in through the console script (head start) and through `nngrade.cli`."""
    subs = copy_sample_class(tmp_path / "class", ["dara"])
    graded = {}
    for entry in ("console", "cli"):
        out = tmp_path / f"out-{entry}"
        done = subprocess.run(
            [sys.executable, "-c", f"from nngrade.{entry} import main; main()", "grade",
             str(subs), "--out", str(out), "--seed", "3"],
            capture_output=True, text=True, timeout=240, check=False)
        assert done.returncode == 0, done.stderr
        graded[entry] = json.loads((out / "dara" / "results.json").read_text())
    assert graded["console"]["score"] == graded["cli"]["score"] == pytest.approx(80.5167,
                                                                                 abs=1e-3)
    assert _verdicts(graded["console"]) == _verdicts(graded["cli"])


ADOPTED = """
    import json, sys
    from pathlib import Path
    from nngrade.grade import early, pool
    from nngrade.grade.options import BatchOptions
    from nngrade.grade.pipeline import grade_class

    assert early.start()
    def forked_by_the_pool(*args, **kwargs):
        raise SystemExit("the pool forked a grading process of its own")
    pool._grading_process = forked_by_the_pool  # only the early process can grade
    options = BatchOptions(jobs=1, seed=5, reports=False, limits=json.loads(sys.argv[3]))
    (result,) = grade_class(Path(sys.argv[1]), Path(sys.argv[2]), options)
    assert early.take() is None  # taken once, by the pool
    print(json.dumps(result))
"""


@pytest.mark.parametrize("limits", [{}, {"mode": "none"}])
def test_the_pool_adopts_the_early_process(tmp_path: Path, limits: dict) -> None:
    """It grades (no other process could), and a sandbox of another mode is launched again."""
    subs = copy_sample_class(tmp_path / "class", ["ada"])
    done = _run(ADOPTED, str(subs), str(tmp_path / "out"), json.dumps(limits))
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["score"] == 100
    protections = result["nngrade"]["protections"]
    if limits.get("mode") == "none":  # launched again without bubblewrap, as asked
        assert protections["user_namespace"] is False
    elif os.environ.get("NNGRADE_SANDBOX", "auto") != "none":
        assert protections["user_namespace"] is True


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                children = [int(c) for c in task.read_text().split()]
            except (OSError, ValueError):
                continue
            found.update(children)
            todo += children
    return found


def _gone(pids: set[int], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        alive = {pid for pid in pids if Path(f"/proc/{pid}").exists()
                 and "State:\tZ" not in _status(pid)}
        if not alive:
            return True
        time.sleep(0.1)
    return False


def _status(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return ""


UNUSED = """
    import os, sys, time
    from pathlib import Path
    from nngrade.grade import early

    early.start()
    process = early._waiting[0]
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not children.read_text().split():
        time.sleep(0.05)  # until its sandbox is launched
    time.sleep(0.5)
    print(process.pid, flush=True)
    if sys.argv[1] == "dies":
        os._exit(0)  # no atexit: the early process must notice by itself
    sys.exit(0)  # atexit: discard() stops it
"""

GONE_AT_ONCE = """
    import os
    from nngrade.grade import early

    early.start()
    print(early._waiting[0].pid, flush=True)
    os._exit(0)  # before the early process has even imported the grader
"""


def test_an_early_process_whose_command_died_at_once_goes_away() -> None:
    """Its parent is named before the fork: a command that died first is still noticed."""
    done = _run(GONE_AT_ONCE)
    assert done.returncode == 0, done.stderr
    pid = int(done.stdout.split()[0])
    assert _gone({pid}, within=30), "the early process outlived its command"


def test_grading_processes_of_a_killed_command_go_away(tmp_path: Path) -> None:
    """`nngrade grade` killed with SIGKILL: its grading processes finish what they were sent
    and leave with their sandboxes, instead of waiting for work forever."""
    import signal

    subs = copy_sample_class(tmp_path / "class", ["ada", "ben", "chen", "dara", "eli", "hana"])
    out = tmp_path / "out"
    command = subprocess.Popen(
        [sys.executable, "-c", "from nngrade.cli import main; main()", "grade", str(subs),
         "--out", str(out), "-j", "1", "--seed", "4"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(out.glob("*/results.json")):
        time.sleep(0.02)
    tree = _descendants(command.pid)
    assert tree, "no grading process was running"
    command.send_signal(signal.SIGKILL)
    command.wait(timeout=30)
    assert _gone(tree, within=60), f"left behind: {sorted(tree)}"



@pytest.mark.parametrize("how", ["exits", "dies"])
def test_an_early_process_nobody_adopts_goes_away_with_its_sandbox(how: str) -> None:
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(UNUSED), how],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    pid = int(proc.stdout.readline())
    tree = {pid} | _descendants(pid)
    assert len(tree) > 1  # its sandbox (the zygote) was running
    proc.wait(timeout=60)
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert _gone(tree, within=20), f"left behind: {sorted(tree)}"


def test_the_console_script_leaves_nothing_unsaid(tmp_path: Path) -> None:
    """It exits without the interpreter's teardown: the table and the status still come out."""
    subs = copy_sample_class(tmp_path / "class", ["ada"])
    console = [sys.executable, "-c", "from nngrade.console import main; main()", "grade"]
    done = subprocess.run([*console, str(subs), "--out", str(tmp_path / "out"), "--seed", "2"],
                          capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr
    assert "ada" in done.stdout and "1 graded" in done.stdout  # the class table, flushed
    assert str(tmp_path / "out" / "gradebook.csv") in done.stdout  # the last line
    usage = subprocess.run([*console, str(subs)], capture_output=True, text=True, timeout=240,
                           check=False)
    assert usage.returncode == 2 and "--out" in usage.stderr
