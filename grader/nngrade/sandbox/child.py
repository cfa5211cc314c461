"""The grader's side of one worker child: what it is told when forked, its record, its replies.

Mirror of ``nngrade.worker.child``, the process itself. ``child_config`` is
the configuration a spawn order hands the new child (the worker's ``Child``
reads the same keys), ``Child`` is the grader's record of it (its pipes, the
bytes read from it, its ``hello``, the zygote's report of its end), and
``reply_result`` turns one of its replies into a ``CallResult``.

Threat model: a reply is written by a process that has run student code, so
every field of it is hostile until checked. ``reply_result`` accepts only a
known status, strings where strings belong, a known limit name and an
identifier as the exception's class name; it cuts every text to size and
decodes the value with the strict decoder of ``nngrade.worker.protocol``
under the run's caps. Anything else is ``bad_result``, and a reply that broke
the format also means the child can no longer be trusted: the caller replaces
it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from nngrade.sandbox import wording
from nngrade.sandbox.api import STATUSES, CallResult, Limits
from nngrade.worker.protocol import DecodeLimits, ProtocolError, ResultTooLarge, decode_value

__all__ = ["Child", "child_config", "reply_result"]

_REPLY_STATUSES = frozenset(STATUSES) | {"internal"}
_LIMIT_NAMES = frozenset(Limits.__dataclass_fields__) | {"result_size", "output"}


@dataclass
class Child:
    """The grader's record of one worker child, from its spawn order to its end."""

    seq: int  # the zygote's name for it, in orders and events
    req: int  # we write requests here
    resp: int  # we read replies here
    buffer: bytearray = field(default_factory=bytearray)  # read, not yet a whole frame
    eof: bool = False  # its reply pipe is closed
    hello: dict[str, Any] | None = None  # its first frame: the confinement it applied
    ended: dict[str, Any] | None = None  # the zygote's report of its end

    def close_pipes(self) -> None:
        for fd in (self.req, self.resp):
            try:
                os.close(fd)
            except OSError:
                pass


def child_config(
    limits: Limits, decode_limits: DecodeLimits, seed: int, hide: str
) -> dict[str, Any]:
    """The ``child`` of a spawn order: what ``nngrade.worker.child`` sets itself up with."""
    return {
        "seed": seed,
        "hide": [hide],
        "scratch_files": limits.scratch_files,
        "import_seconds": limits.import_seconds,
        "output_chars": limits.output_chars,
        "error_chars": limits.error_chars,
        "decode": {
            "max_elements": limits.max_elements,
            "max_depth": limits.max_depth,
            "max_items": limits.max_items,
            "max_text": decode_limits.max_text,
        },
        "rlimits": {
            "memory_bytes": limits.memory_bytes,
            "file_bytes": limits.file_bytes,
            "open_files": limits.open_files,
            "processes": limits.processes,
            "cpu_seconds": limits.cpu_seconds,
        },
    }


def reply_result(
    reply: dict[str, Any], seconds: float, limits: Limits, decode_limits: DecodeLimits
) -> tuple[CallResult, bool]:
    """The CallResult of a call's or drive's reply, and whether the child must be replaced.

    Anything odd is ``bad_result``; a reply that does not follow the format
    (as opposed to a well-formed value over a cap) also condemns its child.
    """
    status = reply.get("status")
    error = reply.get("error", "")
    output = reply.get("output", "")
    notes = reply.get("warnings", [])
    limit = reply.get("limit")
    error_type = reply.get("error_type", "")
    if (
        status not in _REPLY_STATUSES
        or not isinstance(error, str)
        or not isinstance(output, str)
        or not isinstance(notes, list)
        or not all(isinstance(n, str) for n in notes)
        or (limit is not None and limit not in _LIMIT_NAMES)
        or not isinstance(error_type, str)
    ):
        return CallResult("bad_result", error=wording.MALFORMED_REPLY, seconds=seconds), True
    output = output[-(limits.output_chars + 200) :]
    error = error[: limits.error_chars * 2]
    kept = tuple(n[:400] for n in notes[:20])
    if status == "internal":
        text = wording.internal(error)
        return CallResult(
            "bad_result", error=text, output=output, warnings=kept, seconds=seconds
        ), False
    value = None
    if status == "ok":
        try:
            value = decode_value(reply.get("value"), decode_limits)
        except ResultTooLarge as exc:
            return CallResult(
                "bad_result",
                error=wording.result_too_large(exc),
                output=output,
                warnings=kept,
                limit="max_elements",
                seconds=seconds,
            ), False
        except ProtocolError as exc:
            text = wording.malformed_result(exc)
            return CallResult(
                "bad_result", error=text, output=output, warnings=kept, seconds=seconds
            ), True
    error_type = error_type[:100] if error_type.isidentifier() else ""
    return CallResult(status, value, error, output, seconds, kept, limit, error_type), False
