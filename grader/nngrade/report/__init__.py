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

from nngrade.report.i18n import SUPPORTED_LANGS
from nngrade.report.student import write_student_report
from nngrade.report.summary import write_class_summary
from nngrade.report.table import format_class_table

__all__ = ["SUPPORTED_LANGS", "format_class_table", "write_class_summary", "write_student_report"]
