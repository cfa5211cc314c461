"""The words of nngrade's Gradescope output, in English and Chinese.

Students read these on Gradescope, so each exists in both languages, in the
lecture's terms and with the same wording the HTML report uses for the same
thing (调用 / 实际返回 / 期望结果 / 可能的错误...). What the report model
already translates (test titles, verdicts, explanations, mistakes, module
titles) comes from `nngrade.report.model`; this table holds only what is
particular to Gradescope's page. `tests/cluster/test_gradescope_results.py`
checks that every entry has both languages and the same placeholders.
"""

from __future__ import annotations

__all__ = ["TEXTS", "text"]

TEXTS: dict[str, dict[str, str]] = {
    "score": {"en": "Score: {score} / {max_score}", "zh": "得分：{score} / {max_score}"},
    "module": {"en": "Module", "zh": "模块"},
    "points": {"en": "Points", "zh": "分数"},
    "called": {"en": "Called", "zh": "调用"},
    "got": {"en": "Got", "zh": "实际返回"},
    "expected": {"en": "Expected", "zh": "期望结果"},
    "mistake": {"en": "Likely mistake", "zh": "可能的错误"},
    "where": {"en": "Where", "zh": "位置"},
    "hint": {"en": "Hint", "zh": "提示"},
    "detail": {"en": "Detail", "zh": "详情"},
    "printed": {"en": "Your code printed", "zh": "你的代码输出"},
    "original": {"en": "Grader's message", "zh": "评分程序的原始信息"},
    "late": {
        "en": "Late submission: handed in {hours} after the due date ({due}).",
        "zh": "逾期提交：在截止时间（{due}）之后 {hours} 提交。",
    },
    "after_late_due": {
        "en": "This was also after the late due date ({late_due}).",
        "zh": "这也晚于补交截止时间（{late_due}）。",
    },
    "hours": {"en": "{n} h", "zh": "{n} 小时"},
    "minutes": {"en": "{n} min", "zh": "{n} 分钟"},
    "hidden_until": {
        "en": "The hidden tests' results are shown {when}; until then this page lists only "
              "which of your files could be imported.",
        "zh": "隐藏测试的结果将在{when}显示；在此之前，本页只列出你的哪些文件能够被导入。",
    },
    "when_after_due_date": {"en": "after the due date", "zh": "截止时间之后"},
    "when_after_published": {"en": "once the grades are published",
                             "zh": "成绩发布之后"},
    "when_hidden": {"en": "by your instructor", "zh": "由任课教师另行告知时"},
    "file_check": {"en": "{module}.py: {status}", "zh": "{module}.py：{status}"},
    "sandbox_test": {"en": "Sandbox protections (instructors only)",
                     "zh": "沙箱保护（仅教师可见）"},
    "sandbox_ok": {"en": "Student code ran with every protection of nngrade's sandbox.",
                   "zh": "学生代码在 nngrade 沙箱的全部保护下运行。"},
    "sandbox_missing": {
        "en": "Student code ran WITHOUT these protections (the container blocks them; "
              "rlimits and the other protections were in force): {missing}. "
              "See docs/gradescope.md.",
        "zh": "学生代码在缺少以下保护的情况下运行（容器不允许使用它们；"
              "资源限制和其他保护仍然有效）：{missing}。参见 docs/gradescope.md。",
    },
    "grader_failed": {
        "en": "The autograder itself failed on this submission. This is not a problem with "
              "your code: your instructor can see what went wrong and will grade it again.",
        "zh": "自动评分程序本身在评阅这份提交时出错。这不是你的代码的问题：任课教师能看到出错原因，"
              "并会重新评分。",
    },
    "ungradeable": {
        "en": "This submission could not be graded, for this reason:",
        "zh": "这份提交无法评分，原因如下：",
    },
    "no_files": {
        "en": "No file of the exercises was found in your submission. Upload the module files "
              "(perceptron.py, activations.py, ...) themselves, or the exercises/ folder.",
        "zh": "在你的提交中没有找到任何练习文件。"
              "请上传模块文件本身（perceptron.py、activations.py 等），或上传 exercises/ 文件夹。",
    },
}


def text(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang`` (``en`` or ``zh``) with ``values`` filled in."""
    entry = TEXTS[key]
    return entry.get(lang, entry["en"]).format(**values)
