"""``nngrade check --help`` and ``nngrade submit --help`` in the student's language.

click builds a command's help from strings fixed when the module is
imported, in English; a student of a Chinese course reads the help first.
`LocalizedCommand` renders the command's description, each option's help,
and click's own headings (``Usage:``, ``Options:``, ``--help``'s line) from
the message catalogs when the help is shown. The language is chosen from
what is known at that moment: a ``--lang`` on the command line, then the
course's ``nngrade.toml`` above the current folder, then the locale.

Ships to students (click and nngrade's messages).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from nngrade.language import choose_language
from nngrade.messages import has_text, msg, render

__all__ = ["LocalizedCommand"]


def _lang_in(argv: Sequence[str]) -> str | None:
    """The value of ``--lang X`` or ``--lang=X`` in a command line, if any."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def _language(ctx: click.Context) -> str:
    option = ctx.params.get("lang") or _lang_in(ctx.meta.get(_RAW_ARGS, sys.argv[1:]))
    try:  # the course file is read only to choose a language; a broken one is not our error
        from nngrade.student.config import course_settings, find_config

        course = course_settings(find_config(Path.cwd())).get("lang")
    except (click.ClickException, OSError):
        course = None
    return choose_language(option, course, os.environ)


_RAW_ARGS = "nngrade.raw_args"


class LocalizedCommand(click.Command):
    """A command whose help texts are the messages ``help.<name>.summary`` and ``.<option>``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # --help is handled while parsing, before --lang has a value: keep the raw line.
        ctx.meta[_RAW_ARGS] = list(args)
        return super().parse_args(ctx, args)

    def _localize(self, ctx: click.Context) -> str:
        lang = _language(ctx)
        key = f"help.{self.name}"
        if has_text(f"{key}.summary", "en"):
            self.help = render(msg(f"{key}.summary"), lang)
        for param in self.params:
            if isinstance(param, click.Option) and param.name and \
                    has_text(f"{key}.{param.name}", "en"):
                param.help = render(msg(f"{key}.{param.name}"), lang)
        help_option = self.get_help_option(ctx)
        if help_option is not None:
            help_option.help = render(msg("help.help"), lang)
        return lang

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        lang = self._localize(ctx)
        self.format_usage_in(ctx, formatter, lang)
        self.format_help_text(ctx, formatter)
        self.format_options_in(ctx, formatter, lang)
        self.format_epilog(ctx, formatter)

    def format_usage_in(self, ctx: click.Context, formatter: click.HelpFormatter,
                        lang: str) -> None:
        pieces = self.collect_usage_pieces(ctx)
        formatter.write_usage(ctx.command_path, " ".join(pieces),
                              prefix=render(msg("help.usage"), lang))

    def format_options_in(self, ctx: click.Context, formatter: click.HelpFormatter,
                          lang: str) -> None:
        records: list[Any] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None and not isinstance(param, click.Argument):
                records.append(record)
        if records:
            with formatter.section(render(msg("help.options"), lang)):
                formatter.write_dl(records)
