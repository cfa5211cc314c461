"""An nbgrader course on disk, seen the way nbgrader's own commands see it.

`grade_course` must find the same folders, database and course id as
``nbgrader autograde`` run in the course folder, so it reads the course's
``nbgrader_config.py`` with traitlets and asks nbgrader's `CourseDirectory`
for every path instead of assuming the default layout.
"""

from __future__ import annotations

import datetime
import glob
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nngrade.nbgrader_bridge.requirement import require_nbgrader

__all__ = ["Course", "open_course"]


@dataclass
class Course:
    root: Path
    config: Any  # traitlets Config
    coursedir: Any  # nbgrader.coursedir.CourseDirectory

    @property
    def db_url(self) -> str:
        return self.coursedir.db_url

    @property
    def course_id(self) -> str:
        return self.coursedir.course_id

    def gradebook(self) -> Any:
        from nbgrader.api import Gradebook

        return Gradebook(self.db_url, self.course_id)

    def path(self, step: str, student: str, assignment: str) -> Path:
        """Folder of one step (``submitted``, ``autograded``, ``source``...) for a student."""
        directory = getattr(self.coursedir, f"{step}_directory")
        return Path(self.coursedir.format_path(directory, student, assignment))

    def notebooks(self, assignment: str) -> list[str]:
        """Notebook names of the assignment, as ``generate_assignment`` recorded them."""
        from nbgrader.api import MissingEntry

        with self.gradebook() as gb:
            try:
                return sorted(nb.name for nb in gb.find_assignment(assignment).notebooks)
            except MissingEntry:
                return []

    def submitted_students(self, assignment: str) -> list[str]:
        """Student ids with a submitted folder for the assignment (nbgrader's path pattern)."""
        cd = self.coursedir
        pattern = cd.format_path(cd.submitted_directory, "*", assignment)
        regex = re.compile(
            cd.format_path(
                cd.submitted_directory, "(?P<student_id>[^/]+)", re.escape(assignment), escape=True
            )
            + "$"
        )
        students = []
        for path in sorted(glob.glob(pattern)):
            match = regex.match(path)
            if match and os.path.isdir(path):
                students.append(match.group("student_id"))
        return students

    def submitted_timestamp(self, assignment: str, student: str) -> datetime.datetime | None:
        """The submission time nbgrader would record: ``timestamp.txt`` of the submitted folder."""
        from nbgrader.utils import parse_utc

        stamp = self.path("submitted", student, assignment) / "timestamp.txt"
        if not stamp.is_file():
            return None
        text = stamp.read_text(encoding="utf-8").strip()
        return parse_utc(text) if text else None


def open_course(course_dir: Path) -> Course:
    """Load ``course_dir/nbgrader_config.py`` (if any) as nbgrader would when run there."""
    require_nbgrader()
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    root = Path(course_dir).resolve()
    config = Config()
    if (root / "nbgrader_config.py").is_file():
        config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    if "root" not in config.get("CourseDirectory", {}):
        config.CourseDirectory.root = str(root)
    else:  # relative to the course folder, as when nbgrader runs there
        config.CourseDirectory.root = str(root / config.CourseDirectory.root)
    return Course(root, config, CourseDirectory(config=config))
