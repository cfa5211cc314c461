"""What a results.json means to a reader: the view of one graded submission.

The templates only lay out what this module decides: which tests belong to
which module (contract order), that failures come first, which verdict and
which explanation a test gets in the reader's language, whether a
submission counts as graded. Keeping those decisions in Python keeps them
testable and keeps the templates free of logic and of untranslated words.

The input is the results.json schema of ``docs/architecture.md``; missing
fields are tolerated (an ungradeable submission has no tests, an older
grader may not write ``modules``), because a report that crashes on one odd
submission would cost the whole class its reports.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from markupsafe import Markup

from nngrade.contract import MODULES
from nngrade.messages import UNTRANSLATED, Message, has_text, render
from nngrade.mistakes import mistake_message
from nngrade.report.figures import Labels, figure_html
from nngrade.report.i18n import N_, normalize_lang, translations
from nngrade.report.legacy import read_feedback, read_limit_detail, read_note
from nngrade.student.titles import load_titles

__all__ = [
    "MODULE_TITLES",
    "ModuleView",
    "StudentView",
    "TestView",
    "fmt_points",
    "grading_problem",
    "is_passed",
    "student_id",
    "student_view",
    "test_concept",
]

OTHER_MODULE = "_other"

MODULE_TITLES: dict[str, str] = {
    "perceptron": N_("The perceptron and the XOR problem"),
    "activations": N_("Activation functions and their derivatives"),
    "losses": N_("Loss functions"),
    "gradient_descent": N_("Numerical gradients and gradient descent"),
    "backprop": N_("Backpropagation by hand"),
    "autodiff": N_("Computational graphs and reverse-mode autodiff"),
    "overfitting": N_("Empirical risk minimisation and overfitting"),
    "regularization": N_("Regularization: early stopping, dropout and data augmentation"),
    "vanishing": N_("The vanishing gradient problem"),
    OTHER_MODULE: N_("Other tests"),
}

# extra_data.kind -> the verdict a reader sees
VERDICTS: dict[str, str] = {
    "passed": N_("Passed"),
    "mismatch": N_("Wrong result"),
    "not_implemented": N_("Not implemented yet"),
    "raised": N_("Raised an exception"),
    "timeout": N_("Too slow"),
    "crashed": N_("Crashed"),
    "missing_module": N_("File missing"),
    "missing_name": N_("Name missing"),
    "import_error": N_("Import failed"),
    "bad_result": N_("Unusable result"),
    "limit": N_("Resource limit hit"),
    "grader_error": N_("Grader problem"),
    "failed": N_("Failed"),
}

# extra_data.kind -> a generic explanation, used where the grader's own
# message has no translation (it is then shown too, marked as the original)
EXPLANATIONS: dict[str, str] = {
    "mismatch": N_("The value returned differs from what the reference computes."),
    "not_implemented": N_("This function still raises NotImplementedError."),
    "raised": N_("The call raised an exception."),
    "timeout": N_("The call did not finish within the time limit."),
    "crashed": N_("The call crashed the process that ran it."),
    "missing_module": N_("The module's file is missing from the submission."),
    "missing_name": N_("The module does not define this name."),
    "import_error": N_("The module could not be imported, so nothing in it could be graded."),
    "bad_result": N_(
        "The call returned something that cannot be graded "
        "(wrong type or shape, or values that are not finite)."
    ),
    "limit": N_("The call hit a resource limit (memory, output or processes)."),
    "grader_error": N_(
        "The grader could not check this test (an internal error); "
        "your instructor has been told."
    ),
    "failed": N_("This test did not pass."),
}

MODULE_STATUSES: dict[str, str] = {
    "ok": N_("Imported"),
    "missing": N_("File missing"),
    "import_error": N_("Import failed"),
    "ungraded": N_("Not graded"),
}

LIMITS: dict[str, str] = {
    "timeout": N_("Time limit"),
    "crashed": N_("Process crashed"),
    "limit": N_("Resource limit"),
    "memory": N_("Memory limit"),
    "cpu": N_("CPU time limit"),
    "output": N_("Output size limit"),
    "processes": N_("Process limit"),
    "submission": N_("Total time for the submission"),
}

PROTECTIONS: dict[str, str] = {
    "sandbox": N_("Sandbox (a separate, confined process for student code)"),
    "user_namespace": N_("User namespace"),
    "network_namespace": N_("No network access (network namespace)"),
    "mount_namespace": N_("Private read-only filesystem (mount namespace)"),
    "pid_namespace": N_("Process isolation (PID namespace)"),
    "ipc_namespace": N_("IPC isolation"),
    "seccomp": N_("System-call filter (seccomp)"),
    "rlimits": N_("Resource limits (rlimits)"),
    "bubblewrap": N_("bubblewrap sandbox"),
    "no_new_privs": N_("No privilege escalation (no_new_privs)"),
}

# The hidden tests' titles in other languages (never shipped to students).
HIDDEN_TITLES = Path(__file__).resolve().parent.parent / "suites" / "titles.toml"


def fmt_points(x: float | int | None) -> str:
    """12.0 -> "12", 10.5 -> "10.5", 1.3333 -> "1.33": points read as people write them."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    text = f"{float(x):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def percent(score: float, max_score: float) -> float | None:
    if not max_score:
        return None
    return max(0.0, min(100.0, 100.0 * score / max_score))


def student_id(results: Mapping[str, Any]) -> str:
    ng = results.get("nngrade") or {}
    return str(ng.get("student") or results.get("student") or "unknown")


def is_passed(test: Mapping[str, Any]) -> bool:
    status = test.get("status")
    if status is not None:
        return status == "passed"
    return float(test.get("score") or 0) >= float(test.get("max_score") or 0)


def test_concept(test: Mapping[str, Any]) -> tuple[str, str]:
    """(module, contract name) of a test, from its tags; unknown parts become ``_other``/``""``."""
    tags = list(test.get("tags") or [])
    module = str(tags[0]) if tags else OTHER_MODULE
    name = str(tags[1]) if len(tags) > 1 else ""
    if module not in MODULES:
        module = OTHER_MODULE
    return module, name


def test_kind(test: Mapping[str, Any]) -> str:
    extra = test.get("extra_data") or {}
    kind = extra.get("kind") if isinstance(extra, Mapping) else None
    if kind:
        return str(kind)
    return "passed" if is_passed(test) else "failed"


def split_title(test: Mapping[str, Any]) -> str:
    """The test's own title, without the ``module.name: `` prefix the grader puts in front."""
    name = str(test.get("name") or "")
    module, contract = test_concept(test)
    prefix = f"{module}.{contract}: "
    return name[len(prefix):] if contract and name.startswith(prefix) else name


@cache
def _titles_by_english(lang: str) -> dict[str, str]:
    """English title -> ``lang`` title of every hidden test (results.json holds the English)."""
    return {entry["en"].strip(): entry[lang] for entry in load_titles(HIDDEN_TITLES).values()
            if entry.get(lang)}


def translated_title(title: str, lang: str) -> str:
    """A hidden test's title in ``lang`` where ``suites/titles.toml`` has it, else English."""
    if normalize_lang(lang) == "en":
        return title
    return _titles_by_english(normalize_lang(lang)).get(title.strip(), title)


def mistake_of(test: Mapping[str, Any]) -> tuple[str, str] | None:
    """(code, English message) of the named mistake a failed test found, if any."""
    extra = test.get("extra_data") or {}
    mistake = extra.get("mistake") if isinstance(extra, Mapping) else None
    if isinstance(mistake, Mapping) and mistake.get("code"):
        return str(mistake["code"]), str(mistake.get("message") or "")
    if isinstance(mistake, str) and mistake:
        return mistake, ""
    return None


def mistake_text(code: str, english: str, lang: str) -> str:
    """A mistake's explanation in ``lang``, by its code; the stored English for unknown codes."""
    if has_text(f"mistake.{code}", "en"):
        return render(mistake_message(code), normalize_lang(lang))
    return english or code


def note_text(text: str, lang: str) -> str:
    """A note of the intake (a warning, a module's status, why nothing was graded) in ``lang``."""
    message = read_note(text)
    return render(message, normalize_lang(lang)) if message is not None else text


def grading_problem(results: Mapping[str, Any]) -> tuple[str, str] | None:
    """Why a submission has no meaningful grade: (kind, detail) or None.

    ``"error"``: the grader could not grade it at all (``nngrade.error`` is the
    detail); it is left out of the class statistics. ``"zero"``: it was graded
    but scored 0 because modules do not import (detail: each module's last
    error line). ``"empty"``: it scored 0 because no module file was found.
    ``"stubs"``: it scored 0 because nothing in it is written yet (the handed
    out stubs). A 0 of the last three kinds is a real grade and counts in the
    statistics.
    """
    ng = results.get("nngrade") or {}
    if ng.get("error"):
        return "error", str(ng["error"])
    if float(results.get("score") or 0) > 0:
        return None
    modules = ng.get("modules") or {}
    broken = {m: info for m, info in modules.items()
              if isinstance(info, Mapping) and info.get("status") == "import_error"}
    if broken:
        return "zero", "; ".join(
            f"{m}.py: {_last_line(info.get('message'))}" for m, info in broken.items()
        )
    if modules and all(isinstance(i, Mapping) and i.get("status") == "missing"
                       for i in modules.values()):
        return "empty", ""
    tests = [t for t in results.get("tests") or [] if isinstance(t, Mapping)]
    if tests and all(test_kind(t) in NOT_STARTED for t in tests if not is_passed(t)) \
            and not any(is_passed(t) and float(t.get("max_score") or 0) > 0 for t in tests):
        return "stubs", ""
    return None


# Kinds of a failed test that mean the code was not written (or not handed in) at all.
NOT_STARTED = frozenset({"not_implemented", "missing_module", "missing_name"})


def handed_in(results: Mapping[str, Any], module: str) -> bool:
    """Whether the student handed ``module`` in: its file imports and something in it is
    written (a test of it ran the student's own code). Class pass rates count only these."""
    info = as_mapping(as_mapping((results.get("nngrade") or {}).get("modules")).get(module))
    if info.get("status") not in (None, "ok"):
        return False
    return any(test_concept(t)[0] == module and test_kind(t) not in NOT_STARTED
               for t in results.get("tests") or [] if isinstance(t, Mapping))


def _last_line(text: Any) -> str:
    lines = [ln for ln in str(text or "").strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else ""


# ---------------------------------------------------------------- the views


@dataclass
class TestView:
    anchor: str
    module: str
    name: str
    title: str
    title_en: str
    score: float
    max_score: float
    passed: bool
    kind: str
    verdict: str
    headline: str = ""  # in the reader's language; `code` in backticks
    original: str = ""  # the grader's words when no catalog knows them (English)
    quoted: str = ""  # text from the student's code or from Python, verbatim
    detail: str = ""  # the sandbox's technical note (English reports only)
    where: str = ""
    call: str = ""
    shown: dict[str, str] = field(default_factory=dict)
    got: str = ""
    expected: str = ""
    mistake_code: str = ""
    mistake_text: str = ""
    hint: str = ""
    printed: str = ""
    seconds: float | None = None
    blocked_by: str = ""  # the stub a not-implemented test waits for, when not its own name
    figure: Markup | None = None  # the wrong value drawn beside the reference's (SVG)


@dataclass
class ModuleView:
    key: str
    title: str
    score: float
    max_score: float
    status: str
    status_label: str
    message: str
    tests: list[TestView] = field(default_factory=list)

    @property
    def percent(self) -> float | None:
        return percent(self.score, self.max_score)

    @property
    def failed(self) -> list[TestView]:
        return [t for t in self.tests if not t.passed]

    @property
    def passed(self) -> list[TestView]:
        return [t for t in self.tests if t.passed]

    @property
    def todo(self) -> list[TestView]:
        """Tests that could not run at all, if several: a stub still raises
        NotImplementedError, or the module's file is missing or does not import.

        Each would say nothing beyond a name, so the report shows them as one
        card (an untouched module is one card, not one per test).
        """
        kinds = {"not_implemented", "missing_module", "import_error"}
        todo = [t for t in self.failed if t.kind in kinds]
        return todo if len(todo) > 1 else []

    @property
    def todo_is_stubs(self) -> bool:
        """The grouped tests wait for stubs (else the module's file is missing or broken)."""
        return any(t.kind == "not_implemented" for t in self.todo)

    @property
    def failed_cards(self) -> list[TestView]:
        """The failed tests shown as a card each: all but the grouped `todo`."""
        grouped = {id(t) for t in self.todo}
        return [t for t in self.failed if id(t) not in grouped]

    @property
    def todo_names(self) -> list[str]:
        """The stubs to implement for the `todo` tests to run, once each, in test order."""
        return list(dict.fromkeys(t.blocked_by or t.name or t.title for t in self.todo
                                  if t.kind == "not_implemented"))

    @property
    def lost(self) -> float:
        return max(0.0, self.max_score - self.score)

    @property
    def failed_names(self) -> list[tuple[str, str]]:
        """(contract name, anchor of its first failed test), once per name, in order; names
        whose tests carry no points (given code) are no points to win back."""
        seen: dict[str, str] = {}
        for t in self.failed:
            if t.max_score > 0:
                seen.setdefault(t.name or t.title, t.anchor)
        return list(seen.items())


@dataclass
class LimitView:
    test: str
    limit: str
    label: str
    detail: str


@dataclass
class OverrideView:
    """A score set by hand in the semester gradebook (``nngrade gradebook override``): the
    student sees it, who set it, when and why, beside what the grader gave."""

    points: float
    out_of: float | None
    automatic: float | None
    reason: str
    by: str
    at: str


def _override_view(value: Any) -> OverrideView | None:
    data = as_mapping(value)
    if not isinstance(data.get("points"), (int, float)):
        return None

    def number(key: str) -> float | None:
        item = data.get(key)
        return float(item) if isinstance(item, (int, float)) else None

    return OverrideView(points=float(data["points"]), out_of=number("out_of"),
                        automatic=number("automatic"), reason=_text(data.get("reason")),
                        by=_text(data.get("by")), at=_text(data.get("at")))


@dataclass
class StudentView:
    student: str
    lang: str
    score: float
    max_score: float
    modules: list[ModuleView]
    problem: tuple[str, str] | None
    late: bool
    submitted_at: str
    archive_sha256: str
    source_path: str
    content_sha256: str
    seed: Any
    grader_version: str
    graded_at: str
    execution_time: float | None
    timing: dict[str, float]
    limits: list[LimitView]
    missing_protections: list[str]
    warnings: list[str]
    override: OverrideView | None = None

    @property
    def percent(self) -> float | None:
        return percent(self.score, self.max_score)

    @property
    def tests(self) -> list[TestView]:
        return [t for m in self.modules for t in m.tests]

    @property
    def failed(self) -> list[TestView]:
        return [t for t in self.tests if not t.passed]

    @property
    def start_here(self) -> list[ModuleView]:
        """The modules with the most points to win back, at most three."""
        losing = [m for m in self.modules if m.lost > 1e-9]
        return sorted(losing, key=lambda m: -m.lost)[:3]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def as_mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one (results files are read defensively)."""
    return value if isinstance(value, Mapping) else {}


def _test_view(test: Mapping[str, Any], index: int, lang: str) -> TestView:
    """One test as the student sees it.

    ``extra_data.internal`` (a grader traceback, for the instructor) is
    deliberately never read: only the fields named here reach a page.
    """
    t = translations(lang)
    module, name = test_concept(test)
    kind = test_kind(test)
    passed = is_passed(test)
    extra = as_mapping(test.get("extra_data"))
    title_en = split_title(test)
    title = translated_title(title_en, lang)
    view = TestView(
        anchor=f"test-{index}",
        module=module,
        name=name,
        title=title,
        title_en=title_en,
        score=float(test.get("score") or 0.0),
        max_score=float(test.get("max_score") or 0.0),
        passed=passed,
        kind=kind,
        verdict=t.gettext(VERDICTS.get(kind, VERDICTS["passed" if passed else "failed"])),
        seconds=extra.get("seconds") if isinstance(extra.get("seconds"), (int, float)) else None,
    )
    if passed:
        return view
    _explain(view, test, extra, lang)
    view.call = _text(extra.get("call"))
    shown = extra.get("shown")
    view.shown = {str(k): _text(v) for k, v in shown.items()} if isinstance(shown, Mapping) else {}
    view.got = _text(extra.get("got"))
    view.expected = _text(extra.get("expected"))
    view.where = _text(extra.get("where"))
    view.printed = _text(extra.get("printed") or extra.get("stdout"))
    hint = Message.from_json(extra.get("hint"))
    view.hint = render(hint, lang) if hint is not None else ""
    params = as_mapping(extra.get("message_params"))
    if extra.get("message_id") == "status.not_implemented_inside" and params.get("inner"):
        view.blocked_by = str(params["inner"])
    view.figure = figure_html(extra.get("figure"), figure_labels(lang))
    found = mistake_of(test)
    if found:
        view.mistake_code = found[0]
        view.mistake_text = mistake_text(found[0], found[1], lang)
    return view


@cache
def figure_labels(lang: str) -> Labels:
    """The words of the report's pictures in ``lang``."""
    _ = translations(lang).gettext
    return Labels(expected=_("Expected (reference)"), got=_("Yours"),
                  difference=_("Yours minus expected"),
                  differs=_("Entries that differ (outlined)"), log_scale=_("log scale"),
                  index=_("index"), best=_("best"), input=_("Input"))


def _explain(view: TestView, test: Mapping[str, Any], extra: Mapping[str, Any],
             lang: str) -> None:
    """The headline of a failed test in ``lang``: by its message id, else by its old wording.

    A message whose id no catalog knows (a newer grader's) and an old text
    no pattern knows both fall back to a generic explanation of the kind,
    with the grader's own words shown beside it as they are.
    """
    english = _text(extra.get("message")).strip()
    if not extra and test.get("output"):
        # No structured feedback: the plain output is all there is.
        english = _text(test.get("output")).strip()
    message = Message.from_json({"id": extra.get("message_id"),
                                 "params": extra.get("message_params")})
    quoted, detail = _text(extra.get("quoted")), _text(extra.get("detail"))
    if message is not None and (message.id == UNTRANSLATED or not has_text(message.id, "en")):
        message = None  # a finished English text, or an id this grader does not know
    if message is None and english:
        reading = read_feedback(english, module=view.module, name=view.name)
        if reading is not None:
            message, quoted, detail = reading.text, reading.quoted, reading.detail
    if message is not None:
        view.headline = render(message, lang)
    else:
        view.headline = translations(lang).gettext(
            EXPLANATIONS.get(view.kind, EXPLANATIONS["failed"]))
        view.original = english
    view.quoted = quoted
    view.detail = detail if lang == "en" else ""


def _module_views(results: Mapping[str, Any], lang: str) -> list[ModuleView]:
    t = translations(lang)
    ng = results.get("nngrade") or {}
    declared = as_mapping(ng.get("modules"))
    grouped: dict[str, list[TestView]] = {m: [] for m in [*MODULES, OTHER_MODULE]}
    for i, test in enumerate(results.get("tests") or []):
        view = _test_view(test, i, lang)
        grouped[view.module].append(view)
    views = []
    for key in [*MODULES, OTHER_MODULE]:
        tests = grouped[key]
        found = declared.get(key)
        info = found if isinstance(found, Mapping) else None
        if key == OTHER_MODULE and not tests:
            continue
        if info is not None:
            score = float(info.get("score") or 0.0)
            max_score = float(info.get("max_score") or 0.0)
            status = str(info.get("status") or "ok")
            message = _text(info.get("message")).strip()
        else:  # older results without a modules block: add the tests up
            score = sum(x.score for x in tests)
            max_score = sum(x.max_score for x in tests)
            status, message = "ok", ""
        if status == "missing":
            message = render(Message("module.missing"), lang)
        elif message and status != "import_error":  # an import error's text is Python's
            message = note_text(message, lang)
        # failures first, otherwise the grader's order (stable sort)
        tests = sorted(tests, key=lambda x: x.passed)
        views.append(ModuleView(
            key=key,
            title=t.gettext(MODULE_TITLES[key]),
            score=score,
            max_score=max_score,
            status=status,
            status_label=t.gettext(MODULE_STATUSES.get(status, MODULE_STATUSES["ungraded"])),
            message=message,
            tests=tests,
        ))
    return views


def _label(table: Mapping[str, str], key: str, lang: str) -> str:
    if key in table:
        return translations(lang).gettext(table[key])
    return key.replace("_", " ")


def student_view(results: Mapping[str, Any], lang: str = "en") -> StudentView:
    """Everything the student report shows, decided and translated."""
    lang = normalize_lang(lang)
    ng = results.get("nngrade") or {}
    source = as_mapping(ng.get("source"))
    limits = [
        LimitView(
            test=_text(hit.get("test")),
            limit=_text(hit.get("limit")),
            label=_label(LIMITS, _text(hit.get("limit")), lang),
            detail=_limit_detail(_text(hit.get("detail")), lang),
        )
        for hit in (ng.get("limits_hit") or [])
        if isinstance(hit, Mapping)
    ]
    return StudentView(
        student=student_id(results),
        lang=lang,
        score=float(results.get("score") or 0.0),
        max_score=float(results.get("max_score") or 0.0),
        modules=_module_views(results, lang),
        problem=grading_problem(results),
        late=bool(source.get("late")),
        submitted_at=_text(source.get("submitted_at")),
        archive_sha256=_text(source.get("archive_sha256")),
        source_path=_text(source.get("path")),
        content_sha256=_text(ng.get("content_sha256")),
        seed=ng.get("seed"),
        grader_version=_text(ng.get("grader_version")),
        graded_at=_text(ng.get("graded_at")),
        execution_time=results.get("execution_time"),
        timing={str(k): float(v) for k, v in (ng.get("timing") or {}).items()
                if isinstance(v, (int, float))},
        limits=limits,
        missing_protections=[_label(PROTECTIONS, str(p), lang)
                             for p in (ng.get("missing_protections") or [])],
        warnings=[note_text(_text(w), lang) for w in (ng.get("warnings") or [])],
        override=_override_view(ng.get("override")),
    )


def _limit_detail(text: str, lang: str) -> str:
    """The sandbox's words about a limit, in ``lang`` where known (English ones only in English)."""
    message = read_limit_detail(text)
    if message is not None:
        return render(message, lang)
    return text if lang == "en" else ""

