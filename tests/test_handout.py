"""The handout in both languages: the same structure, the contract's names, the lecture's terms.

``docs/handout.zh.md`` is the primary handout of this Chinese course and
``docs/handout.md`` its English twin. They must say the same thing, which a test
can check where it is stated as data: the same sections in the same order and at
the same levels, and in each section the same inline code (names, signatures,
formulas, numbers written as code) and the same code blocks (comments aside, they
are prose). Every contract name is stated in both, the Chinese one uses the
lecture's own terms and none of the variants the lecture does not use, and the
section on the slides' code names the four known differences.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from nngrade.contract import MODULES, all_names

DOCS = Path(__file__).resolve().parents[1] / "docs"
EN = DOCS / "handout.md"
ZH = DOCS / "handout.zh.md"

# The lecture's terms (神经网络和深度学习基础理论), and variants that must not appear.
LECTURE_TERMS = ["感知机", "激活函数", "损失函数", "均方误差", "交叉熵", "梯度下降", "反向传播",
                 "计算图", "逆向自动微分", "梯度消失", "过拟合", "欠拟合", "正则化", "数据增强",
                 "早停策略", "One-hot编码", "Dropout", "残差", "数值微分"]
NOT_THE_LECTURES = ["提前停止", "反向模式自动微分", "独热编码", "随机失活", "丢弃法", "数值梯度"]


def _sections(text: str) -> list[dict]:
    """The document cut at its ## and ### headings: level, heading, code spans, code blocks."""
    sections: list[dict] = [{"level": 1, "heading": "", "body": []}]
    in_block = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_block = not in_block
        heading = re.match(r"(#{2,3}) (.*)", line) if not in_block else None
        if heading:
            sections.append({"level": len(heading.group(1)), "heading": heading.group(2),
                             "body": []})
        sections[-1]["body"].append(line)
    for section in sections:
        body = "\n".join(section["body"])
        blocks = re.findall(r"^```[^\n]*\n(.*?)^```", body, flags=re.S | re.M)
        prose = re.sub(r"^```[^\n]*\n.*?^```", "", body, flags=re.S | re.M)
        # a code span may wrap onto the next line, as long lines of Markdown do
        section["spans"] = Counter(" ".join(s.split())
                                   for s in re.findall(r"`([^`]+)`", prose))
        section["blocks"] = [[re.sub(r"\s+#.*$", "", ln).rstrip() for ln in b.splitlines()]
                             for b in blocks]
    return sections


@pytest.fixture(scope="module")
def handouts() -> tuple[list[dict], list[dict]]:
    return _sections(EN.read_text(encoding="utf-8")), _sections(ZH.read_text(encoding="utf-8"))


def test_same_sections_in_the_same_order(handouts):
    en, zh = handouts
    assert [s["level"] for s in en] == [s["level"] for s in zh]
    assert len(en) >= 1 + 2 + len(MODULES) + 1 + 4 + 2  # intro, files, rules, modules, ...


@pytest.mark.parametrize("index", range(len(_sections(EN.read_text(encoding="utf-8")))))
def test_each_section_states_the_same_code_and_formulas(handouts, index):
    en, zh = handouts
    assert en[index]["spans"] == zh[index]["spans"], (
        f"section {en[index]['heading']!r} / {zh[index]['heading']!r}: only in English "
        f"{sorted(en[index]['spans'] - zh[index]['spans'])}, only in Chinese "
        f"{sorted(zh[index]['spans'] - en[index]['spans'])}")
    assert en[index]["blocks"] == zh[index]["blocks"]


def test_every_module_has_its_section_in_contract_order(handouts):
    for sections in handouts:
        modules = [s["heading"].strip("`") for s in sections
                   if s["level"] == 2 and s["heading"].startswith("`")
                   and s["heading"].endswith(".py`")]
        assert modules == [f"{m}.py" for m in MODULES]


def test_every_contract_name_is_stated_in_its_module_section(handouts):
    for sections in handouts:
        by_module = {s["heading"].strip("`")[:-3]: s for s in sections
                     if s["heading"].startswith("`") and s["heading"].endswith(".py`")}
        for entry in all_names():
            name = entry.name.split(".")[-1] if entry.name.startswith("Variable.") else entry.name
            spans = " ".join(by_module[entry.module]["spans"])
            if entry.name.startswith("Variable.__"):  # the operators, stated as `+`, `*`...
                continue
            assert re.search(rf"\b{re.escape(name)}\b", spans), f"{entry} not in the handout"


def test_the_chinese_handout_uses_the_lectures_terms():
    text = ZH.read_text(encoding="utf-8")
    missing = [t for t in LECTURE_TERMS if t not in text]
    assert not missing, f"the Chinese handout never says {missing}"
    wrong = [t for t in NOT_THE_LECTURES if t in text]
    assert not wrong, f"the lecture does not say {wrong}"
    alone = re.findall(r"早停(?!策略)", text)
    assert not alone, "早停 alone: the lecture says 早停策略"


def test_the_slides_section_names_the_four_known_differences(handouts):
    for sections in handouts:
        start = next(i for i, s in enumerate(sections)
                     if s["level"] == 2 and ("slides" in s["heading"] or "课件" in s["heading"]))
        subsections = sections[start + 1:start + 5]
        assert [s["level"] for s in subsections] == [3, 3, 3, 3]
        spans = Counter()
        for s in subsections:
            spans += s["spans"]
        for code in ("(np.sign(x) + 1) / 2", "(f(x + h) - f(x)) / h", "get_gradients",
                     "w1 -= learning_rate * grad_w1"):
            assert code in spans, code
