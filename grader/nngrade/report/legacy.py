"""Texts that arrive without an id, matched once to a message so that any report can say them.

Two kinds of results.json text carry no message id: everything written
before messages had ids (a class graded by an older nngrade, re-rendered in
Chinese without regrading), and the parts of the grader that still hand
over finished English sentences (the intake's notes, the sandbox's wording
of a limit, the runner's status texts until it passes ids). Each known
wording is matched here by a pattern and becomes its message, with the
values as parameters and any text from student code kept apart as quoted
text. An unknown wording is left alone: the report shows it as it is, and
the test that scans Chinese reports for English sentences points it out.

Threat model: the texts come from results.json, which the grader wrote, but
parts of them are the student's (exception messages, file names). Patterns
are anchored and linear (no nested quantifiers), and whatever they capture
is only ever a parameter or quoted text, never markup or a template.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from nngrade.messages import Message, msg

__all__ = ["Reading", "read_feedback", "read_limit_detail", "read_note"]


@dataclass(frozen=True)
class Reading:
    """What an old text says, as a message; ``quoted`` is the student's part, ``detail`` the
    sandbox's English note."""

    text: Message
    quoted: str = ""
    detail: str = ""


def _what(raw: str) -> Message:
    return msg("what.value") if raw == "value" else msg("what.named", name=raw)


def _error_type(error: str) -> str:
    last = (error.strip().splitlines() or [""])[-1]
    head = last.split(":", 1)[0].strip()
    return head.rsplit(".", 1)[-1] if head.replace(".", "").isidentifier() else "Exception"


def _seconds(text: str) -> str:
    found = re.search(r"within ([0-9.]+) s", text)
    return found.group(1) if found else "?"


Builder = Callable[[re.Match[str], str, str], Reading]

# The runner's status texts and the comparison core's sentences, as nngrade 0.1 wrote them.
_FEEDBACK: list[tuple[re.Pattern[str], Builder]] = [
    (re.compile(r"`(?P<name>[\w.]+)` is not implemented yet \(it raises NotImplementedError\)\.$"),
     lambda m, module, name: Reading(msg("status.not_implemented", name=m["name"]))),
    (re.compile(r"(?P<module>\w+)\.py is missing from the submission, so `(?P<name>[\w.]+)` "
                r"cannot be graded\.$"),
     lambda m, module, name: Reading(msg("status.missing_module", name=m["name"],
                                         module=m["module"]))),
    (re.compile(r"(?P<module>\w+)\.py defines no `(?P<name>[\w.]+)`\.$"),
     lambda m, module, name: Reading(msg("status.missing_name", name=m["name"],
                                         module=m["module"]))),
    (re.compile(r"(?P<module>\w+)\.py could not be imported, so `(?P<name>[\w.]+)` cannot be "
                r"graded: (?P<error>.*)$", re.S),
     lambda m, module, name: Reading(msg("status.import_error", name=m["name"],
                                         module=m["module"]), quoted=m["error"])),
    (re.compile(r"The call raised (?P<error>.*)$", re.S),
     lambda m, module, name: Reading(msg("status.raised", name=name,
                                         error_type=_error_type(m["error"])),
                                     quoted=m["error"])),
    (re.compile(r"The call did not finish in time: (?P<error>.*)$", re.S),
     lambda m, module, name: Reading(
         msg("status.timeout_submission", name=name, module=module)
         if "time budget" in m["error"] else
         msg("status.timeout", name=name, seconds=_seconds(m["error"])), detail=m["error"])),
    (re.compile(r"The call crashed the worker process: (?P<error>.*)$", re.S),
     lambda m, module, name: Reading(msg("status.crashed_plain", name=name), detail=m["error"])),
    (re.compile(r"The call returned something that cannot be graded: (?P<error>.*)$", re.S),
     lambda m, module, name: Reading(msg("status.bad_result_plain", name=name),
                                     detail=m["error"])),
    (re.compile(r"A resource limit was hit: (?P<error>.*)$", re.S),
     lambda m, module, name: Reading(msg("status.limit_plain", name=name), detail=m["error"])),
    (re.compile(r"A hidden check on the result failed\.$"),
     lambda m, module, name: Reading(msg("legacy.hidden_check_failed"))),
    (re.compile(r"The grader could not check this test \(an internal error\); your instructor "
                r"has been told\.$"),
     lambda m, module, name: Reading(msg("legacy.grader_error"))),
    (re.compile(r"The (?P<what>[^\n]+?) has shape (?P<got>\([\d, ]*\)), expected shape "
                r"(?P<expected>\([\d, ]*\))\.$"),
     lambda m, module, name: Reading(msg("compare.shape", what=_what(m["what"]),
                                         got_shape=m["got"], expected_shape=m["expected"]))),
    (re.compile(r"The (?P<what>[^\n]+?) contains nan or inf where the answer is finite\.$"),
     lambda m, module, name: Reading(msg("compare.not_finite", what=_what(m["what"])))),
    (re.compile(r"The (?P<what>[^\n]+?) is not what the reference computes \(largest difference "
                r"(?P<difference>[^ )]+) at index (?P<index>\([\d, ]*\))\)\.$"),
     lambda m, module, name: Reading(msg("legacy.differs_at", what=_what(m["what"]),
                                         difference=m["difference"], index=m["index"]))),
    (re.compile(r"The (?P<what>[^\n]+?) is not what the reference computes( \(largest "
                r"difference (?P<difference>[^ )]+)\))?\.$"),
     lambda m, module, name: Reading(msg("legacy.differs", what=_what(m["what"]),
                                         difference=m["difference"] or "?"))),
    (re.compile(r"Expected ValueError, but the call raised (?P<type>\w+)\.$"),
     lambda m, module, name: Reading(msg("compare.value_error_but_raised",
                                         error_type=m["type"]))),
    (re.compile(r"Expected the call to raise ValueError, but it returned normally\.$"),
     lambda m, module, name: Reading(msg("compare.value_error_but_returned"))),
    (re.compile(r"The values are right, but computing them raised a warning: (?P<w>.*)$", re.S),
     lambda m, module, name: Reading(msg("compare.warned"), quoted=m["w"])),
    (re.compile(r"The scenario's result could not be read \(was the grader's code tampered "
                r"with\?\)\.$"),
     lambda m, module, name: Reading(msg("compare.unreadable_scenario"))),
]


def read_feedback(message: str, *, module: str = "", name: str = "") -> Reading | None:
    """The message an old feedback text says (``module``/``name`` from the test's tags)."""
    text = message.strip()
    for pattern, build in _FEEDBACK:
        found = pattern.match(text)
        if found:
            return build(found, module, name)
    return None


def _quote(text: str) -> str:
    return text.strip().strip("'\"")


# The intake's notes and reasons (nngrade.unpack, nngrade.batch, nngrade.scoring).
_NOTES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], Message]]] = [
    (re.compile(r"file not found in the submission$"), lambda m: msg("module.missing")),
    (re.compile(r"(?P<name>.+) is neither a folder nor a \.zip file$"),
     lambda m: msg("intake.not_folder_or_zip", name=m["name"])),
    (re.compile(r"the hand-in could not be read \((?P<error>.*)\)$", re.S),
     lambda m: msg("intake.unreadable", error=m["error"])),
    (re.compile(r"(?P<name>.+?) is not a readable zip archive \((?P<error>.*)\)$", re.S),
     lambda m: msg("intake.bad_zip", name=m["name"], error=m["error"])),
    (re.compile(r"(?P<name>.+?) has (?P<count>\d+) entries besides tool and data files \(at "
                r"most (?P<limit>\d+) are read\); most are in (?P<listed>.+?): remove what is "
                r"not your exercises, or hand in exercises/ only$"),
     lambda m: msg("intake.too_many_entries_where", name=m["name"], count=m["count"],
                   limit=m["limit"], listed=m["listed"])),
    (re.compile(r"the folder holds more than (?P<limit>\d+) files besides tool and data files; "
                r"most are in (?P<listed>.+?): remove what is not your exercises, or hand in "
                r"exercises/ only$"),
     lambda m: msg("intake.too_many_files_where", limit=m["limit"], listed=m["listed"])),
    (re.compile(r"ignored data files \((?P<kinds>[^()]+)\): only \.py files are graded$"),
     lambda m: msg("intake.ignored_data", kinds=m["kinds"])),
    (re.compile(r"module files were found in (?P<places>.+?); the newest copy of each is graded "
                r"\(exercises/ when both are as new\): (?P<which>.+)$"),
     lambda m: msg("intake.newest_copies", places=m["places"], which=m["which"])),
    (re.compile(r"(?P<name>.+?) has (?P<count>\d+) entries \(at most (?P<limit>\d+) are read\)$"),
     lambda m: msg("intake.too_many_entries", name=m["name"], count=m["count"],
                   limit=m["limit"])),
    (re.compile(r"skipped in the archive: (?P<items>.*)$", re.S),
     lambda m: msg("intake.skipped_archive", items=m["items"])),
    (re.compile(r"skipped in the folder: (?P<items>.*)$", re.S),
     lambda m: msg("intake.skipped_folder", items=m["items"])),
    (re.compile(r"the folder holds more than (?P<limit>\d+) files$"),
     lambda m: msg("intake.too_many_files", limit=m["limit"])),
    (re.compile(r"ignored (?P<names>.+) \(tool or system files, not part of the exercises\)$"),
     lambda m: msg("intake.ignored_junk", names=m["names"])),
    (re.compile(r"module files were found in (?P<other>.+) too; those in (?P<chosen>.+) are "
                r"graded$"),
     lambda m: msg("intake.several_places", other=m["other"],
                   chosen=msg("intake.top_level") if m["chosen"] == "the top level"
                   else m["chosen"])),
    (re.compile(r"the hand-in is empty$"), lambda m: msg("intake.empty")),
    (re.compile(r"no \.py files were found \(at the top level, under exercises/, or in one "
                r"folder\)$"), lambda m: msg("intake.no_py")),
    (re.compile(r"(?P<file>.+?) is not a valid module name and was skipped$"),
     lambda m: msg("intake.bad_name", file=m["file"])),
    (re.compile(r"(?P<file>.+?) is larger than (?P<kb>\d+) KB: skipped$"),
     lambda m: msg("intake.too_large", file=m["file"], kb=m["kb"])),
    (re.compile(r"the sources exceed (?P<mb>\d+) MB: (?P<file>.+?) and later files were "
                r"skipped$"), lambda m: msg("intake.sources_too_large", mb=m["mb"],
                                            file=m["file"])),
    (re.compile(r"(?P<actual>\w+)\.py was graded as (?P<wanted>\w+)\.py \(names are "
                r"case-sensitive\)$"),
     lambda m: msg("intake.case", actual=m["actual"], wanted=m["wanted"])),
    (re.compile(r"no usable module files were found$"), lambda m: msg("intake.no_modules")),
    (re.compile(r"(?P<file>.+?) declares an unknown encoding; read as UTF-8$"),
     lambda m: msg("intake.unknown_encoding", file=m["file"])),
    (re.compile(r"(?P<file>.+?) starts with a byte-order mark; it was removed$"),
     lambda m: msg("intake.bom", file=m["file"])),
    (re.compile(r"(?P<file>.+?) is not valid (?P<encoding>[\w-]+); undecodable bytes were "
                r"replaced by .$"),
     lambda m: msg("intake.not_decodable", file=m["file"], encoding=m["encoding"])),
    (re.compile(r"(?P<file>.+?) has Windows \(CRLF\) line endings; they were converted$"),
     lambda m: msg("intake.crlf", file=m["file"])),
    (re.compile(r"(?P<file>.+?) contains NUL bytes; Python will refuse to import it$"),
     lambda m: msg("intake.nul", file=m["file"])),
    (re.compile(r"another submission is also named (?P<name>.+?); this one is reported as "
                r"(?P<other>.+)$"),
     lambda m: msg("intake.same_name", name=_quote(m["name"]), other=_quote(m["other"]))),
]


def read_note(text: str) -> Message | None:
    """The message of a note or reason of the intake (an unpack warning, a module's status)."""
    value = text.strip()
    for pattern, build in _NOTES:
        found = pattern.match(value)
        if found:
            return build(found)
    return None


# The sandbox's wording of a limit that was hit (results.json's ``limits_hit[].detail``).
_LIMITS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], Message]]] = [
    (re.compile(r"the (call|drive) did not finish within (?P<s>[\d.]+) s"),
     lambda m: msg("sandbox.call_timeout", seconds=m["s"])),
    (re.compile(r"importing (?P<module>\w+)\.py did not finish within (?P<s>[\d.]+) s"),
     lambda m: msg("sandbox.import_timeout", module=m["module"], seconds=m["s"])),
    (re.compile(r"the submission used up its time budget of (?P<s>[\d.]+) s"),
     lambda m: msg("sandbox.budget", seconds=m["s"])),
    (re.compile(r"the worker process ended during the \w+ with exit status (?P<code>-?\d+)"),
     lambda m: msg("sandbox.exit_status", code=m["code"])),
    (re.compile(r"the worker process was killed during the \w+ by .*?(?P<sig>SIG[A-Z]+)"),
     lambda m: msg("sandbox.killed", signal=m["sig"])),
    (re.compile(r"the \w+ used up the CPU time limit"), lambda m: msg("sandbox.cpu")),
    (re.compile(r"the sandbox stopped answering"), lambda m: msg("sandbox.stopped_answering")),
]


def read_limit_detail(text: str) -> Message | None:
    """The message of the sandbox's text about a limit that was hit, or None if unknown."""
    value = text.strip()
    for pattern, build in _LIMITS:
        found = pattern.match(value)
        if found:
            return build(found)
    return None
