"""One glossary: every Chinese text of the course writes each concept as the lecture does."""

from __future__ import annotations

from pathlib import Path

import pytest

from nngrade.glossary import terms, violations

ROOT = Path(__file__).resolve().parents[1]
GRADER = ROOT / "grader" / "nngrade"


def chinese_texts() -> list[Path]:
    """Every file of the repository that holds Chinese a student or instructor reads."""
    files = [
        *(GRADER / "catalogs").glob("*.toml"),
        GRADER / "student" / "titles.toml",
        GRADER / "suites" / "titles.toml",
        *GRADER.rglob("*.po"),  # the report's and any other package's translations
        *(p for p in GRADER.rglob("templates/*") if p.suffix in (".html", ".md", ".txt")),
        *(ROOT / "docs").glob("*.md"),
        *(ROOT / "exercises").glob("*.py"),
        *(ROOT / "solutions").glob("*.py"),
        ROOT / "README.md",
    ]
    return sorted(p for p in files if p.is_file())


def test_the_glossary_names_the_lectures_terms() -> None:
    by_zh = {zh: t for t in terms() for zh in t.zh}
    required = ["早停策略", "逆向自动微分", "One-hot编码", "Dropout", "残差", "数值微分", "感知机",
                "激活函数", "损失函数", "均方误差", "交叉熵", "梯度下降", "反向传播", "计算图",
                "梯度消失", "过拟合", "欠拟合", "正则化", "数据增强", "学习率"]
    assert [zh for zh in required if zh not in by_zh] == []
    avoided = {a for t in terms() for a in t.avoid}
    assert {"提前停止", "早停", "反向模式自动微分", "独热编码", "随机失活", "丢弃法",
            "数值梯度"} <= avoided
    preferred = set(by_zh)
    assert not avoided & preferred, "a spelling cannot be both the lecture's and avoided"
    assert all(t.en and t.where for t in terms())


def test_the_scan_finds_strays_but_not_the_terms_that_contain_them() -> None:
    assert violations("早停策略在验证损失不再下降时停止训练") == []
    found = violations("第一行\n这里用了提前停止，还有独热编码。")
    assert sorted((v.found, v.preferred, v.line) for v in found) == [
        ("提前停止", "早停策略", 2), ("独热编码", "One-hot编码", 2)]
    assert [v.found for v in violations("早停：验证损失上升")] == ["早停"]
    # a stray that contains a shorter preferred term is still a stray
    assert [v.found for v in violations("计算图与反向模式自动微分")] == ["反向模式自动微分"]


@pytest.mark.parametrize("path", chinese_texts(), ids=lambda p: str(p.relative_to(ROOT)))
def test_chinese_texts_use_the_lectures_terms(path: Path) -> None:
    found = violations(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(ROOT)}:\n" + "\n".join(str(v) for v in found)
