"""``nngrade similarity`` end to end: a generated class of 100, messy and hostile input, inboxes.

The class comes from ``tests/test_similarity_class.py``: independent correct
and buggy solutions in each student's own style, planted copies (one per
disguise and module), a group of four sharing one source, and stub-only
hand-ins. It is written to disk the way students upload (folders, zips,
``exercises/`` inside, CRLF, Latin-1) and read through the command line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from test_similarity_class import (
    MODULES,
    GeneratedClass,
    make_class,
    make_student,
    stub_text,
    write_class,
)

from nngrade.cli import main
from nngrade.similarity.analysis import analyse
from nngrade.similarity.compare import Settings
from nngrade.similarity.given import load_given
from nngrade.similarity.intake import read_hand_ins
from nngrade.similarity.report import csv_text
from nngrade.similarity.texts import catalog, placeholders

REPO = Path(__file__).resolve().parents[1]


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["similarity", *map(str, args)], catch_exceptions=False)


def rows(out: Path) -> list[dict[str, str]]:
    with (out / "similarity.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def generated() -> GeneratedClass:
    return make_class(100, seed=2026)


@pytest.fixture(scope="module")
def class_report(generated: GeneratedClass, tmp_path_factory: pytest.TempPathFactory
                 ) -> tuple[Path, Path]:
    folder = write_class(generated, tmp_path_factory.mktemp("class") / "hand-ins")
    out = tmp_path_factory.mktemp("report")
    result = run(folder, "--out", out)
    assert result.exit_code == 0, result.output
    return folder, out


# ------------------------------------------------------------------ the generated class


def test_planted_copies_rank_above_every_independent_pair(
        generated: GeneratedClass, class_report: tuple[Path, Path]) -> None:
    _, out = class_report
    table = rows(out)
    for module in MODULES:
        scored = [r for r in table if r["module"] == module]
        related = [r for r in scored if generated.related(module, r["student_a"], r["student_b"])]
        independent = [r for r in scored
                       if not generated.related(module, r["student_a"], r["student_b"])]
        planted = {(src, cp) for mod, src, cp, _ in generated.planted if mod == module}
        found = {(r["student_a"], r["student_b"]) for r in related}
        assert {tuple(sorted(p)) for p in planted} <= found, f"{module}: a copy was missed"
        worst_copy = min(float(r["score"]) for r in related)
        best_honest = max(float(r["score"]) for r in independent)
        assert worst_copy > best_honest, (module, worst_copy, best_honest)


def test_every_disguise_is_flagged(generated: GeneratedClass,
                                   class_report: tuple[Path, Path]) -> None:
    _, out = class_report
    flagged = {(r["module"], r["student_a"], r["student_b"]) for r in rows(out)
               if r["flagged"] == "yes"}
    for module, source, copier, disguise in generated.planted:
        a, b = sorted((source, copier))
        assert (module, a, b) in flagged, f"{disguise} copy in {module} not flagged"


def test_stub_only_hand_ins_are_never_flagged(generated: GeneratedClass,
                                               class_report: tuple[Path, Path]) -> None:
    _, out = class_report
    for r in rows(out):
        assert r["student_a"] not in generated.stub_only
        assert r["student_b"] not in generated.stub_only
    html = (out / "similarity.html").read_text(encoding="utf-8")
    section = html.split('class="only-given"')[1].split("</p>")[0]
    assert all(s in section for s in generated.stub_only)


def test_a_group_sharing_one_source_is_shown_together(generated: GeneratedClass,
                                                      class_report: tuple[Path, Path]) -> None:
    _, out = class_report
    module, members = generated.cluster
    groups: dict[str, set[str]] = {}
    for r in rows(out):
        if r["module"] == module and r["group"]:
            groups.setdefault(r["group"], set()).update((r["student_a"], r["student_b"]))
    assert set(members) in groups.values()
    html = (out / "similarity.html").read_text(encoding="utf-8")
    assert f'id="group-{module}-1" data-members="{len(members)}"' in html


def test_the_report_is_the_same_on_every_run(generated: GeneratedClass) -> None:
    hand_ins = _hand_ins(generated)[:30]
    given = load_given(REPO, [], Settings().k)
    first = csv_text(analyse(hand_ins, given, Settings()))
    second = csv_text(analyse(list(reversed(hand_ins)), given, Settings()))
    assert first == second and first.count("\n") > 10


def _hand_ins(generated: GeneratedClass) -> list:
    from nngrade.similarity.intake import HandIn

    return [HandIn(name, dict(s.files)) for name, s in sorted(generated.students.items())]


def test_the_report_never_touches_grades(class_report: tuple[Path, Path],
                                         tmp_path: Path) -> None:
    folder, _ = class_report
    graded = tmp_path / "graded"
    (graded / "alice").mkdir(parents=True)
    (graded / "alice" / "results.json").write_text('{"score": 7}', encoding="utf-8")
    (graded / "gradebook.csv").write_text("student,total\nalice,7\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in graded.rglob("*") if p.is_file()}
    assert run(folder, "--out", graded, "--module", "perceptron").exit_code == 0
    after = {p: p.read_bytes() for p in graded.rglob("*") if p.is_file()}
    assert {p: after[p] for p in before} == before
    assert sorted(p.name for p in set(after) - set(before)) == ["similarity.csv",
                                                                 "similarity.html"]


# ------------------------------------------------------------------ fairness


def _small_class(folder: Path, extra: dict[str, dict[str, str]], n: int = 24) -> Path:
    rng = random.Random(8)
    folder.mkdir(parents=True)
    taken: dict[str, set[tuple]] = {}
    for i in range(n):
        student = make_student(f"s{i:02d}", rng, taken=taken)
        (folder / student.name).mkdir()
        for module, text in student.files.items():
            (folder / student.name / f"{module}.py").write_text(text, encoding="utf-8")
    for name, files in extra.items():
        (folder / name).mkdir()
        for module in MODULES:
            text = files.get(module, stub_text(module))
            (folder / name / f"{module}.py").write_text(text, encoding="utf-8")
    return folder


def _fill(module: str, function: str, body: str) -> str:
    from test_similarity_class import fill

    return fill(stub_text(module), {function: body})


def test_two_honest_three_line_solutions_are_not_flagged(tmp_path: Path) -> None:
    body = "out = np.array(z, dtype=float)\nout[out < 0] = 0\nreturn out"
    text = _fill("activations", "relu", body)
    folder = _small_class(tmp_path / "c", {"zed": {"activations": text},
                                           "yan": {"activations": text}})
    out = tmp_path / "out"
    assert run(folder, "--out", out, "--module", "activations").exit_code == 0
    pair = [r for r in rows(out) if {r["student_a"], r["student_b"]} == {"yan", "zed"}]
    assert pair and pair[0]["flagged"] == "no" and float(pair[0]["score"]) < 0.6


LECTURE = '''
def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        idx = it.multi_index
        tmp = x[idx]
        x[idx] = tmp + h
        fxh1 = f(x)
        x[idx] = tmp - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp
        it.iternext()
    return grad


def gradient_descent(grad, x0, lr, steps):
    x = np.array(x0, dtype=float)
    for i in range(steps):
        x -= lr * grad(x)
    return x
'''


def _lecture_file(kind: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "py":
        path = folder / "lecture.py"
        path.write_text("import numpy as np\n" + LECTURE, encoding="utf-8")
    elif kind == "md":
        path = folder / "lecture.md"
        path.write_text("# Slides\n\nThe gradient:\n\n```python\n" + LECTURE + "```\n\n```sh\n"
                        "ls\n```\n", encoding="utf-8")
    else:
        import json

        cells = [{"cell_type": "markdown", "source": ["# Slides"]},
                 {"cell_type": "code", "source": LECTURE.splitlines(keepends=True)}]
        path = folder / "lecture.ipynb"
        path.write_text(json.dumps({"cells": cells, "nbformat": 4}), encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", ["py", "md", "ipynb"])
def test_code_the_lecture_prints_is_not_evidence(tmp_path: Path, kind: str) -> None:
    module_text = "import numpy as np\n" + LECTURE
    folder = _small_class(tmp_path / "c", {"zed": {"gradient_descent": module_text},
                                           "yan": {"gradient_descent": module_text}})
    plain, with_lecture = tmp_path / "plain", tmp_path / "lecture"
    assert run(folder, "--out", plain, "--module", "gradient_descent").exit_code == 0
    lecture = _lecture_file(kind, tmp_path / "slides")
    assert run(folder, "--out", with_lecture, "--module", "gradient_descent",
               "--given", lecture).exit_code == 0

    def pair(out: Path) -> list[dict[str, str]]:
        return [r for r in rows(out) if {r["student_a"], r["student_b"]} == {"yan", "zed"}]

    assert pair(plain) and pair(plain)[0]["flagged"] == "yes"
    assert pair(with_lecture) == []  # nothing of their own left in common


# ------------------------------------------------------------------ input as it comes


def test_messy_hand_ins_are_read_as_the_grader_reads_them(tmp_path: Path) -> None:
    rng = random.Random(3)
    folder = tmp_path / "hand-ins"
    folder.mkdir()
    source = make_student("src", rng)
    files = {f"{m}.py": t for m, t in source.files.items()}
    # a zip with an exercises/ folder, junk, a path outside, and a copy of src's activations
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(f"zoe/exercises/{name}", text)
        zf.writestr("__MACOSX/zoe/._activations.py", b"\x00\x05")
        zf.writestr("../../evil.py", "import os")
    (folder / "zoe.zip").write_bytes(buf.getvalue())
    (folder / "src").mkdir()
    for name, text in files.items():  # Windows line endings and a Latin-1 file
        data = text.replace("\n", "\r\n").encode("utf-8")
        if name == "losses.py" and text.isascii():
            data = ("# -*- coding: latin-1 -*-\r\n# r\xe9sum\xe9\r\n").encode("latin-1") + data
        (folder / "src" / name).write_bytes(data)
    (folder / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    (folder / "partial").mkdir()  # two modules only, one with a syntax error
    (folder / "partial" / "activations.py").write_text(
        source.files["activations"].replace("import numpy as np", "import numpy as np)"))
    (folder / "partial" / "perceptron.py").write_text(stub_text("perceptron"))
    (folder / "empty").mkdir()
    out = tmp_path / "out"
    result = run(folder, "--out", out)
    assert result.exit_code == 0, result.output
    table = rows(out)
    activations = {(r["student_a"], r["student_b"]): r for r in table
                   if r["module"] == "activations"}
    assert activations[("src", "zoe")]["flagged"] == "yes"
    assert activations[("partial", "src")]["flagged"] == "yes"  # compared although it fails
    html = (out / "similarity.html").read_text(encoding="utf-8")
    problems = html.split('id="problems"')[1]
    assert "broken" in problems and "empty" in problems
    assert "evil" not in html.split('id="problems"')[0]
    assert "Python could not read this file" in html


def test_an_inbox_compares_each_students_newest_archive(tmp_path: Path) -> None:
    from nngrade.student.submit import write_submission

    rng = random.Random(5)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    work = tmp_path / "work"
    students = {name: make_student(name, rng) for name in ("ann", "bob", "cat", "dan", "eve")}
    early = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone.utc)
    late = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.timezone.utc)

    def submit(name: str, files: dict[str, str], when: dt.datetime) -> None:
        folder = work / f"{name}-{when:%d}"
        folder.mkdir(parents=True)
        paths = {}
        for module, text in files.items():
            (folder / f"{module}.py").write_text(text, encoding="utf-8")
            paths[module] = folder / f"{module}.py"
        write_submission(inbox, name, paths, now=when)

    for name, student in students.items():
        submit(name, student.files, early)
    copied = dict(students["bob"].files, losses=students["ann"].files["losses"])
    submit("bob", copied, late)  # bob's newest archive copies ann's losses

    newest, before = tmp_path / "newest", tmp_path / "before"
    assert run(inbox, "--out", newest, "--module", "losses").exit_code == 0
    assert run(inbox, "--out", before, "--module", "losses",
               "--deadline", "2026-11-25").exit_code == 0
    pair = [r for r in rows(newest) if (r["student_a"], r["student_b"]) == ("ann", "bob")]
    assert pair and pair[0]["flagged"] == "yes"
    assert not [r for r in rows(before) if (r["student_a"], r["student_b"]) == ("ann", "bob")
                and r["flagged"] == "yes"]
    html = (newest / "similarity.html").read_text(encoding="utf-8")
    assert "submitted 2026-11-28 10:00 UTC" in html


def test_hostile_code_and_ids_are_shown_as_text(tmp_path: Path) -> None:
    rng = random.Random(9)
    base = make_student("base", rng).files["activations"]
    nasty = base.replace(
        "import numpy as np",
        "import numpy as np\nBANNER = '</script><script>alert(1)</script><img src=x onerror=1>'"
        "\nACCESS = 'user\u202e \u2066admin\u2069 \u200b\x1b[31m'\n# \x00 nul and \x07 bell",
    )
    folder = _small_class(tmp_path / "c", {"@sum": {"activations": nasty},
                                           "-bad": {"activations": nasty}}, n=12)
    out = tmp_path / "out"
    assert run(folder, "--out", out, "--module", "activations").exit_code == 0
    html = (out / "similarity.html").read_text(encoding="utf-8")
    for raw in ("\u202e", "\u2066", "\u2069", "\u200b", "\x1b", "\x00", "\x07",
                "<script>alert", "<img src=x"):
        assert raw not in html
    assert "\u27e8U+202E\u27e9" in html and "&lt;/script&gt;&lt;script&gt;alert(1)" in html
    with (out / "similarity.csv").open(encoding="utf-8", newline="") as fh:
        cells = [row[2:4] for row in csv.reader(fh)]
    assert ["'-bad", "'@sum"] in cells  # never a spreadsheet formula


# ------------------------------------------------------------------ the command's messages


def test_the_command_says_what_to_do_when_it_cannot_run(tmp_path: Path) -> None:
    missing = run(tmp_path / "nowhere", "--out", tmp_path / "out")
    assert missing.exit_code != 0 and "does not exist" in missing.output
    empty = tmp_path / "empty"
    empty.mkdir()
    none = run(empty, "--out", tmp_path / "out")
    assert none.exit_code != 0 and "holds no hand-ins" in none.output
    folder = _small_class(tmp_path / "c", {}, n=3)
    bad = run(folder, "--out", tmp_path / "out", "--threshold", "1.5")
    assert bad.exit_code == 2 and "90%" in bad.output
    unknown = run(folder, "--out", tmp_path / "out", "--module", "convolution")
    assert unknown.exit_code == 2 and "perceptron" in unknown.output
    no_stubs = tmp_path / "course"
    no_stubs.mkdir()
    course = run(folder, "--out", tmp_path / "out", "--course", no_stubs)
    assert course.exit_code != 0 and "exercises/" in course.output
    assert run(folder, "--out", tmp_path / "out", "--threshold", "85%", "--module",
               "losses.py").exit_code == 0


def test_the_report_in_chinese(class_report: tuple[Path, Path], tmp_path: Path) -> None:
    folder, _ = class_report
    out = tmp_path / "zh"
    result = run(folder, "--out", out, "--lang", "zh", "--module", "activations")
    assert result.exit_code == 0 and "评分高只是值得查看的理由" in result.output
    html = (out / "similarity.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html and "代码相似度报告" in html
    assert catalog()["notice_body"]["en"] not in html


# ------------------------------------------------------------------ the catalog


def test_every_text_has_both_languages_and_the_same_placeholders() -> None:
    texts = catalog()
    assert texts
    for key, versions in texts.items():
        assert set(versions) == {"en", "zh"}, key
        assert placeholders(versions["en"]) == placeholders(versions["zh"]), key
        assert any("\u4e00" <= ch <= "\u9fff" for ch in versions["zh"]) or \
            versions["zh"] == versions["en"], key


def test_every_text_the_code_uses_exists() -> None:
    import re

    package = REPO / "grader" / "nngrade" / "similarity"
    used = set()
    for path in [*package.glob("*.py"), *package.glob("templates/*.html")]:
        if path.name == "texts.py":
            continue  # its docstring shows a call with a made-up key
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+)["']""", path.read_text("utf-8")))
    assert used and used <= set(catalog()), used - set(catalog())


def test_given_code_is_found_in_the_course(tmp_path: Path) -> None:
    given = load_given(REPO, [], 10)
    labels = {s.label for s in given.sources}
    assert {f"exercises/{m}.py" for m in MODULES} <= labels
    assert len(given.hashes) > 500


def test_read_hand_ins_names_duplicates_apart(tmp_path: Path) -> None:
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "losses.py").write_text("x = 1\n")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("losses.py", "x = 2\n")
    (tmp_path / "alice.zip").write_bytes(buf.getvalue())
    names = [h.student for h in read_hand_ins(tmp_path)]
    assert names == ["alice", "alice~2"]


def test_the_benchmark_script_runs() -> None:
    """benchmarks/bench_similarity.py --quick (a smoke run: no timing claims)."""
    import json
    import subprocess
    import sys

    run_ = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_similarity.py"),
                           "--quick"], capture_output=True, text=True, timeout=600, cwd=REPO)
    assert run_.returncode == 0, run_.stderr
    figures = json.loads(run_.stdout)
    assert figures["students"] == 80 and figures["flagged_pairs"] > 0
    assert figures["similarity_over_floor_cpu"] > 0
