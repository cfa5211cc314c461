"""Reports for people: the student's HTML report, the class summary and the class table.

``nngrade grade`` calls these three functions with the results.json
documents it wrote (schema: ``docs/architecture.md``)::

    write_student_report(results, out / student / "report.html", lang="zh")
    write_class_summary(all_results, out, lang="zh")   # -> out / "index.html"
    print(format_class_table(all_results))

Pages are translated with gettext catalogs (``locale/``), English being the
source language; see ``nngrade.report.catalog`` to update them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nngrade.report.i18n import SUPPORTED_LANGS
    from nngrade.report.student import write_student_report
    from nngrade.report.summary import write_class_summary
    from nngrade.report.table import format_class_table

__all__ = ["SUPPORTED_LANGS", "format_class_table", "write_class_summary", "write_student_report"]

# name -> the module that defines it, imported on first use: printing the class table
# (every shard of a run does) needs neither jinja2 nor the pages' templates.
_HOMES = {"SUPPORTED_LANGS": "nngrade.report.i18n",
          "write_student_report": "nngrade.report.student",
          "write_class_summary": "nngrade.report.summary",
          "format_class_table": "nngrade.report.table"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
