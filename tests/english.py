"""Finding English sentences in text meant to be Chinese (the zh student mode's tests).

What counts as an English sentence: two or more English words in a row
(ASCII letters only, two letters or more, separated by single spaces), in
text that nngrade itself writes. What does not count, because it is not
prose to translate:

* code: `backtick spans`, HTML ``<code>``/``<pre>``, and the values nngrade
  prints after a value label (what was called, what came back, what was
  expected: numbers, arrays and calls, with their continuation lines);
* quoted text from the student's code or from Python, which nngrade shows
  verbatim: terminal lines starting with ``> `` and the ``Printed``/``At``
  fields;
* identifiers and names: anything with a digit, an underscore, a dot or a
  slash (``sigmoid_prime``, ``np.exp``, ``activations.py``, ``dC/dw1``),
  and the names listed in `NAMES` (the contract's, Python's and the
  lecture's own English terms such as Dropout and Softmax).

A single English word between Chinese ones is allowed (it is how Chinese
technical text names things); two in a row are a phrase that needs a
translation. Runs of known UI words (``FAIL``, ``passed``...) are caught
by a second rule: those words are flagged even alone.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["NAMES", "english_in_html", "english_in_terminal"]

# Names that are not English prose: the contract's, Python's and numpy's, the lecture's
# English terms kept in Chinese text, units and acronyms.
NAMES = frozenset("""
    AND OR NAND XOR True False None nan inf NotImplementedError ValueError TypeError
    RecursionError SystemExit Exception RuntimeWarning Variable EarlyStopping Dropout
    Softmax ReLU Sigmoid sigmoid tanh relu exp log ln dropout rotate mse softmax step
    perceptron xor numpy np Python nngrade pytest JavaScript HTML CSV JSON UTC CPU PID
    IPC SHA seccomp rlimits bubblewrap zip py TODO min max mask out lr
    seed rng patience MB KB Windows CRLF UTF NUL BOM ms dtype bool float int shape array
    dict list tuple id sha IDE OS GPU
""".split())
# Words of nngrade's own English interface: never right in Chinese output, even alone.
UI_WORDS = frozenset("""
    FAIL passed failed Called Got Expected Hint Printed Likely mistake Missing missing
    Skipped skipped Submitted Checking Running implemented Imported Total Score Points ok
""".split())

_WORD = re.compile(r"[A-Za-z]{2,}")
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_TOKEN = re.compile(r"\S+")


def _words(text: str) -> list[list[str]]:
    """Runs of English words (a run breaks at anything that is not one)."""
    runs: list[list[str]] = [[]]
    for token in _TOKEN.findall(_CODE_SPAN.sub(" | ", text)):
        word = token.strip(",.;:!?()[]{}\"'“”‘’")
        plain = bool(_WORD.fullmatch(word)) and word not in NAMES
        if plain:
            runs[-1].append(word)
            if token != word and token.rstrip(",") != word:  # punctuation ends the phrase
                runs.append([])
        else:
            runs.append([])
    return [run for run in runs if run]


def english_in_text(text: str) -> list[str]:
    """The English phrases (and stray English interface words) of plain text."""
    found = []
    for run in _words(text):
        if len(run) >= 2 or run[0] in UI_WORDS:
            found.append(" ".join(run))
    return found


def english_in_terminal(output: str, value_labels: tuple[str, ...]) -> list[str]:
    """English in the output of ``nngrade check``/``submit`` (see the module's rules).

    ``value_labels`` are the labels whose values are code (in the output's
    language, e.g. "调用", "得到", "期望", "输出", "位置"); their lines and the
    indented lines that continue them are skipped.
    """
    found: list[str] = []
    value_indent: int | None = None
    for line in output.splitlines():
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if value_indent is not None and indent > value_indent and stripped:
            continue  # a value's continuation (a matrix row, arg1 = ...)
        value_indent = None
        if stripped.startswith(">"):
            continue  # quoted text of the student's code or of Python
        label = next((lb for lb in value_labels if stripped.startswith(lb)), None)
        if label is not None:
            value_indent = indent
            continue
        found += english_in_text(line)
    return found


class _Visible(HTMLParser):
    """The text a reader sees, without code, preformatted blocks, styles and scripts."""

    SKIP = {"code", "pre", "script", "style"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.depth += 1
        for name, value in attrs:
            if name in ("title", "alt", "aria-label") and value and not self.depth:
                self.chunks.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.chunks.append(data)


def english_in_html(html: str) -> list[str]:
    """English phrases in what a page shows outside code."""
    parser = _Visible()
    parser.feed(html)
    found: list[str] = []
    for chunk in parser.chunks:
        found += english_in_text(chunk)
    return found
