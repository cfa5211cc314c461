"""Errors a student sees from ``nngrade check`` and ``submit``: in their language, and actionable.

click prints an error as ``Error: <message>``; a Chinese student should read
``错误：<message>``. `StudentError` carries the language it was raised in and
prints its own prefix; a usage error (a module name that does not exist)
exits with status 2 like click's own. Ships to students (click and nngrade's
messages).
"""

from __future__ import annotations

from typing import IO, Any

import click

from nngrade.messages import Message, msg, render

__all__ = ["StudentError", "StudentUsageError"]


class StudentError(click.ClickException):
    """An error message (a `Message`, rendered in ``lang``); exits with status 1."""

    def __init__(self, message: Message, lang: str = "en") -> None:
        super().__init__(render(message, lang))
        self.lang = lang

    def show(self, file: IO[Any] | None = None) -> None:
        prefix = render(msg("error_prefix"), self.lang)
        click.echo(f"{prefix}{self.format_message()}", file=file, err=file is None)


class StudentUsageError(StudentError):
    """A command line that asks for something that does not exist; exits with status 2."""

    exit_code = 2
