"""Messages by id: complete catalogs, ids that exist, titles that are translated, safe rendering.

Every sentence nngrade shows a student is a message id with parameters
(`nngrade.messages`); these tests keep the English and Chinese catalogs
complete and consistent with the code that uses them, and the titles of
the public checks and hidden tests translated and current.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from nngrade.language import choose_language, locale_language, normalize
from nngrade.messages import (
    LANGS,
    UNTRANSLATED,
    Message,
    as_message,
    catalog,
    check_catalogs,
    msg,
    render,
)
from nngrade.mistakes import CODES, MISTAKES, mistake_message
from nngrade.report.catalog import suite_titles
from nngrade.report.model import HIDDEN_TITLES
from nngrade.student.checks import CHECKS
from nngrade.student.titles import PUBLIC_TITLES, check_title, load_titles

ROOT = Path(__file__).resolve().parents[1]
GRADER = ROOT / "grader" / "nngrade"


def test_every_id_has_an_english_and_a_chinese_text_with_the_same_parameters() -> None:
    problems = check_catalogs()
    assert not problems, "\n".join(problems[:20])


def test_the_consistency_check_catches_a_missing_translation(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    import nngrade.messages as messages

    (tmp_path / "en.toml").write_text('a = "one {x}"\nb = "two"\n', encoding="utf-8")
    (tmp_path / "zh.toml").write_text('a = "一 {y}"\n', encoding="utf-8")
    monkeypatch.setattr(messages, "CATALOG_DIR", tmp_path)
    messages.catalog.cache_clear()
    try:
        problems = check_catalogs()
    finally:
        messages.catalog.cache_clear()
    assert any("no text for 'b'" in p for p in problems)
    assert any("different parameters" in p for p in problems)


def test_a_catalog_is_read_through_its_json_copy_never_a_stale_one(tmp_path: Path) -> None:
    import nngrade.messages as messages

    toml = tmp_path / "en.toml"
    toml.write_text('a = "one {x}"\n[n]\none = "{count} item"\nother = "{count} items"\n',
                    encoding="utf-8")
    first = messages._flat_catalog(toml)
    copy = tmp_path / "__pycache__" / "en.flat.json"
    assert first == {"a": "one {x}", "n": {"one": "{count} item", "other": "{count} items"}}
    assert copy.is_file()
    assert messages._flat_catalog(toml) == first  # from the copy now
    toml.write_text('a = "two {x}"\n', encoding="utf-8")  # the catalog edited: parsed again
    assert messages._flat_catalog(toml) == {"a": "two {x}"}
    copy.write_text("{not json", encoding="utf-8")
    assert messages._flat_catalog(toml) == {"a": "two {x}"}
    # the real catalogs, read through their copies, are the catalogs
    for lang in messages.LANGS:
        path = messages.CATALOG_DIR / f"{lang}.toml"
        assert messages._flat_catalog(path) == messages._flatten(messages._read_toml(path))


def _ids_in_code() -> tuple[set[str], set[str]]:
    """Literal ids passed to msg()/Message(), and the prefixes of ids made by f-strings."""
    literal, prefixes = set(), set()
    for path in GRADER.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name not in ("msg", "Message"):
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                literal.add(first.value)
            elif isinstance(first, ast.JoinedStr) and first.values and \
                    isinstance(first.values[0], ast.Constant):
                prefixes.add(str(first.values[0].value))
    return literal, prefixes


def test_every_id_the_code_uses_is_in_the_catalogs() -> None:
    literal, prefixes = _ids_in_code()
    known = set(catalog("en"))
    assert len(literal) > 100, "the scan must find the call sites"
    assert sorted(literal - known) == []
    for prefix in prefixes:
        assert any(i.startswith(prefix) for i in known), f"no id starts with {prefix!r}"


def test_every_mistake_code_has_an_explanation_in_every_language() -> None:
    for code in CODES:
        for lang in LANGS:
            assert f"mistake.{code}" in catalog(lang), (code, lang)
    assert set(MISTAKES) == set(CODES)
    unused = {k.removeprefix("mistake.") for k in catalog("en") if k.startswith("mistake.")}
    assert unused == set(CODES), "a catalog text for a code mistakes.CODES does not list"


def test_mistake_codes_used_by_checks_and_suites_exist() -> None:
    used = set()
    for path in [*(GRADER / "suites").glob("test_*.py"), GRADER / "student" / "checks.py"]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'Mistake\(\s*"(\w+)"', text))
        used |= set(re.findall(r'mistake="(\w+)"', text))
        used |= set(re.findall(r'with_mistake\("(\w+)"', text))
    assert used and sorted(used - set(CODES)) == []


def test_every_public_check_title_is_translated_and_current() -> None:
    table = load_titles(PUBLIC_TITLES)
    for check in CHECKS:
        entry = table.get(check.key)
        assert entry is not None, f"{PUBLIC_TITLES}: no [{check.key}] for {check.title!r}"
        assert entry["en"] == check.title, f"[{check.key}] translates an older title"
        assert entry.get("zh"), check.key
        assert check_title(check, "zh") == entry["zh"]
    stale = set(table) - {c.key for c in CHECKS}
    assert not stale, f"translations of checks that no longer exist: {sorted(stale)}"


def test_every_hidden_test_title_is_translated_and_current() -> None:
    table = load_titles(HIDDEN_TITLES)
    tests = suite_titles()
    assert len(tests) > 50
    for key, title, file, line in tests:
        entry = table.get(key)
        assert entry is not None, f"{HIDDEN_TITLES}: no [{key}] ({file}:{line}: {title!r})"
        assert entry["en"] == title, f"[{key}] translates an older docstring ({file}:{line})"
        assert entry.get("zh"), key
    stale = set(table) - {key for key, *_ in tests}
    assert not stale, f"translations of hidden tests that no longer exist: {sorted(stale)}"


def test_a_stale_title_translation_is_not_used() -> None:
    from nngrade.student.titles import translate_title

    table = {"m.t": {"en": "old words", "zh": "旧的说法"}}
    assert translate_title(table, "m.t", "old words", "zh") == "旧的说法"
    assert translate_title(table, "m.t", "new words", "zh") == "new words"
    assert translate_title(table, "m.t", "old words", "en") == "old words"


# ---------------------------------------------------------------- rendering


def test_parameters_are_values_and_messages_nest() -> None:
    text = msg("compare.shape", what=msg("what.value"), got_shape="(3,)",
               expected_shape="(3, 1)")
    assert render(text, "en") == ("The value has shape (3,), but the expected shape is (3, 1).")
    assert render(text, "zh") == "返回值的形状是 (3,)，而期望的形状是 (3, 1)。"
    names = msg("check.failed_names", names=["sigmoid", "tanh"])
    assert render(names, "en") == "failed: sigmoid, tanh"
    assert render(names, "zh") == "未通过：sigmoid、tanh"


def test_plural_forms_follow_count() -> None:
    assert render(msg("submit.file_count", count=1), "en") == "1 module"
    assert render(msg("submit.file_count", count=8), "en") == "8 modules"
    assert render(msg("submit.file_count", count=1), "zh") == "1 个模块"


def test_rendering_never_raises_on_odd_messages() -> None:
    assert render(msg("no.such.id", a=1), "zh") == "no.such.id(a=1)"
    assert "{got_shape}" in render(msg("compare.shape", what="x"), "en")
    hostile = msg("compare.shape", what="{__class__}", got_shape="{0}", expected_shape="}{")
    assert render(hostile, "en").startswith("{__class__} has shape {0}")
    assert render("plain text", "zh") == "plain text"


def test_a_plain_string_becomes_the_untranslated_message() -> None:
    message = as_message("Some English sentence.")
    assert message.id == UNTRANSLATED
    assert render(message, "zh") == "Some English sentence."


def test_messages_survive_json() -> None:
    message = msg("compare.differs_in", what=msg("what.named", name="grad_w1"), count=2,
                  total=6, difference="0.5", index="(1, 2)")
    back = Message.from_json(json.loads(json.dumps(message.to_json())))
    assert back == message and render(back, "zh") == render(message, "zh")
    assert Message.from_json({"params": {}}) is None
    assert Message.from_json("compare.shape") is None


def test_mistake_messages_by_code() -> None:
    assert mistake_message("overflow").id == "mistake.overflow"
    unknown = mistake_message("a_code_nobody_knows")
    assert "a_code_nobody_knows" in render(unknown, "en") and render(unknown, "zh") != \
        render(unknown, "en")


# ---------------------------------------------------------------- the language


@pytest.mark.parametrize(("code", "lang"), [
    ("zh_CN.UTF-8", "zh"), ("zh-Hans", "zh"), ("ZH", "zh"), ("zh_TW", "zh"), ("en_US", "en"),
    ("C", "en"), ("C.UTF-8", "en"), ("POSIX", "en"), ("fr_FR.UTF-8", None), ("", None),
    (None, None),
])
def test_language_codes(code: str | None, lang: str | None) -> None:
    assert normalize(code) == lang


def test_the_locale_follows_posix_precedence() -> None:
    assert locale_language({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert locale_language({"LC_MESSAGES": "en_GB", "LANG": "zh_CN.UTF-8"}) == "en"
    assert locale_language({"LC_ALL": "zh_CN.UTF-8", "LC_MESSAGES": "en_GB"}) == "zh"
    assert locale_language({"LC_ALL": "", "LANG": "zh_CN"}) == "zh", "an empty variable is unset"
    assert locale_language({}) is None


def test_option_beats_course_beats_locale() -> None:
    zh_shell = {"LANG": "zh_CN.UTF-8"}
    assert choose_language("en", "zh", zh_shell) == "en"
    assert choose_language(None, "en", zh_shell) == "en"
    assert choose_language(None, "zh", {"LANG": "en_US.UTF-8"}) == "zh"
    assert choose_language(None, None, zh_shell) == "zh"
    assert choose_language(None, None, {}) == "en"
    assert choose_language(None, "klingon", {"LANG": "fr_FR"}) == "en"


def _english_literals(path: Path) -> list[str]:
    """Finished English sentences handed to Feedback & co. in a file (they cannot be translated)."""
    from english import english_in_text

    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        texts: list[ast.expr] = []
        if name == "Feedback" and node.args:
            texts.append(node.args[0])
        if name == "expect_true" and len(node.args) > 1:
            texts.append(node.args[1])
        texts += [k.value for k in node.keywords if k.arg in ("what", "hint", "note", "message")]
        for text in texts:
            if isinstance(text, ast.JoinedStr):
                words = " ".join(str(v.value) for v in text.values
                                 if isinstance(v, ast.Constant))
                if english_in_text(words):
                    found.append(f"{path.name}:{text.lineno}: an f-string ({words!r})")
            elif isinstance(text, ast.Constant) and isinstance(text.value, str) and \
                    english_in_text(text.value):
                found.append(f"{path.name}:{text.lineno}: {text.value!r}")
    return found


def test_checks_and_hidden_suites_speak_by_message_id() -> None:
    """A test appended with a plain English message works, but is pointed out here."""
    files = [*(GRADER / "suites").glob("test_*.py"), GRADER / "student" / "checks.py",
             GRADER / "feedback.py"]
    found = [line for path in files for line in _english_literals(path)]
    assert not found, "give these texts message ids:\n" + "\n".join(found)


def test_the_scan_of_plain_messages_finds_one(tmp_path: Path) -> None:
    planted = tmp_path / "test_planted.py"
    planted.write_text('expect_true(ok, "The mask should be boolean.")\n'
                       'raise Feedback(f"{n} is wrong")\n'
                       'expect_close(g, e, what="grad_w1")\n', encoding="utf-8")
    assert len(_english_literals(planted)) == 2
