"""A cold grading starts what it needs side by side: the sandbox while the grader imports,
the report pages while the grading process works (issue 17, one submission fast)."""

from __future__ import annotations

import os
import time

import numpy as np

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
