"""A cold grading starts what it needs side by side: the sandbox while the grader imports,
the report pages while the grading process works (issue 17, one submission fast)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest

from nngrade.sandbox import Limits, Sandbox

LIMITS = Limits(call_seconds=2.0, import_seconds=4.0, grace_seconds=0.5, memory_bytes=1 << 30)
DOUBLE = "import numpy as np\n\ndef double(x):\n    return 2 * np.asarray(x)\n"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_launched_sandbox_starts_once_and_works():
    box = Sandbox(LIMITS)
    try:
        box.launch()
        box.launch()  # idempotent: still the one zygote
        assert box.stats["zygote_starts"] == 0  # launched, not yet waited for
        time.sleep(0.05)  # the grader's own imports would go here
        box.start()
        box.start()
        assert box.stats["zygote_starts"] == 1
        assert box.protections["rlimits"] is True
        assert box.load({"m": DOUBLE}) == {"m": "ok"}
        result = box.call("m", "double", (np.arange(3),))
        assert result.status == "ok" and np.array_equal(result.value, [0, 2, 4])
    finally:
        box.close()


def test_a_zygote_is_launched_before_numpy_is_imported_and_the_sandbox_adopts_it():
    """A grading process launches its zygote first thing: that needs neither numpy nor
    `Sandbox`; the sandbox made afterwards uses that zygote and counts its start."""
    script = (
        "import sys, time\n"
        "from nngrade.sandbox.api import Limits\n"
        "from nngrade.sandbox.zygote import Zygote\n"
        "limits = Limits(call_seconds=2.0, import_seconds=4.0)\n"
        "zygote = Zygote(limits, {})\n"
        "zygote.launch()\n"
        "assert 'numpy' not in sys.modules, 'numpy imported before the launch'\n"
        "pid = zygote.pid\n"
        "from nngrade.sandbox import Sandbox\n"
        "box = Sandbox(limits, zygote=zygote)\n"
        "box.start()\n"
        "assert box._zygote is zygote and zygote.pid == pid\n"
        "assert box.stats['zygote_starts'] == 1 and box.stats['zygote_start_seconds'] > 0\n"
        "assert box.load({'m': 'def f(x):\\n    return x + 1\\n'}) == {'m': 'ok'}\n"
        "assert box.call('m', 'f', (1,)).value == 2\n"
        "box.close()\n"
        "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]


def test_a_launched_sandbox_that_is_never_used_is_stopped_by_close():
    box = Sandbox(LIMITS)
    box.launch()
    pid = box._zygote.pid
    assert pid is not None and _alive(pid)
    box.close()
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _alive(pid)


def test_report_pages_are_prepared_once_and_kept_privately():
    """`prepare` compiles the pages once per language, kept in jinja2's private bytecode cache."""
    from nngrade.report.render import _bytecode_cache, environment, prepare

    for lang in ("en", "zh"):
        prepare(lang)
        env = environment(lang)
        assert env.bytecode_cache is _bytecode_cache()
        assert env.get_template("student.html") is env.get_template("student.html")
    cache = _bytecode_cache()
    if cache is not None:  # jinja2's own folder: private to this user
        folder = cache.directory  # type: ignore[attr-defined]
        assert os.stat(folder).st_uid == os.getuid()
        assert os.stat(folder).st_mode & 0o077 == 0


_START = (
    "from nngrade.sandbox import Limits, Sandbox\n"
    "from nngrade.sandbox.launch import bwrap_status\n"
    "with Sandbox(Limits()) as box:\n"
    "    box.load({'m': 'def f(x):\\n    return x + 1\\n'})\n"
    "    print(box.mode, box.call('m', 'f', (1,)).value, bwrap_status.cache_info().currsize)\n")


def _start_in_a_fresh_process(path: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "NNGRADE_SANDBOX"}
    env["PATH"] = path
    done = subprocess.run([sys.executable, "-c", _START], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.split()


def test_bubblewrap_is_launched_without_the_probe_when_it_works():
    from nngrade.sandbox.launch import bwrap_status

    if not bwrap_status()[0]:
        pytest.skip("bubblewrap cannot start here: nothing to launch unprobed")
    assert _start_in_a_fresh_process(os.environ["PATH"]) == ["bwrap", "2", "0"]


def test_a_bubblewrap_that_cannot_start_falls_back_after_the_probe(tmp_path):
    """As in a container that blocks namespaces: the unprobed launch fails, the probe says
    why, and the fallback starts (its missing protections are reported as before)."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "bwrap").write_text("#!/bin/sh\necho 'bwrap: No permissions to creating new "
                                "namespace' >&2\nexit 1\n")
    (fake / "bwrap").chmod(0o755)
    assert _start_in_a_fresh_process(f"{fake}:{os.environ['PATH']}") == ["none", "2", "1"]


def test_the_sandbox_is_pinned_once_started_not_while_it_starts():
    """``cpu``: the zygote starts on any CPU beside the grader's imports, then the grading
    process, the zygote and every child it forks share that one CPU (fast wake-ups)."""
    if not hasattr(os, "sched_setaffinity"):
        pytest.skip("no CPU affinity on this system")
    before = os.sched_getaffinity(0)
    cpu = max(before)
    box = Sandbox(LIMITS, cpu=cpu)
    try:
        box.launch()
        assert os.sched_getaffinity(0) == before  # not pinned while the zygote starts
        box.start()
        assert os.sched_getaffinity(0) == {cpu}
        tree = box._zygote.process_tree()
        assert tree and all(os.sched_getaffinity(pid) == {cpu} for pid in tree)
        box.load({"m": "import os\n\ndef cpus():\n    return sorted(os.sched_getaffinity(0))\n"})
        assert box.call("m", "cpus", ()).value == [cpu]
    finally:
        box.close()
        os.sched_setaffinity(0, before)
