"""Reading code for the similarity report: the lexers, normalisation, dead code, fingerprints.

What a disguise changes must not change the tokens; what distinguishes two
independent solutions must survive; nothing a student writes may crash the
reading; and the fingerprints must be the same on every run.
"""

from __future__ import annotations

import difflib
import io
import os
import random
import subprocess
import sys
import textwrap
import tokenize
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_similarity_class import DISGUISES, MODULES, make_student

from nngrade.similarity.deadcode import dead_spans, mentioned_names
from nngrade.similarity.fingerprints import coverage, kgram_hashes, token_ids, winnow
from nngrade.similarity.lexer import lex
from nngrade.similarity.tokens import tokenize_source

REPO = Path(__file__).resolve().parents[1]


def _python_files() -> list[Path]:
    roots = [REPO / "solutions", REPO / "exercises", REPO / "grader" / "nngrade",
             REPO / "examples" / "submissions"]
    return sorted(p for root in roots for p in root.rglob("*.py"))


def _tokenize(text: str) -> list[tuple[str, str, int]] | None:
    """Python's own tokens as (kind, text, start offset), or None when it rejects the file."""
    lines = [0]
    for line in text.split("\n")[:-1]:
        lines.append(lines[-1] + len(line) + 1)
    try:
        return [(tokenize.tok_name[t.type], t.string if t.type != tokenize.NEWLINE else "",
                 lines[t.start[0] - 1] + t.start[1] if t.start[0] - 1 < len(lines) else len(text))
                for t in tokenize.generate_tokens(io.StringIO(text).readline)
                if t.type not in (tokenize.ENDMARKER,)]
    except (tokenize.TokenError, SyntaxError):
        return None


def _lexed(text: str) -> list[tuple[str, str, int]]:
    return [(t.kind, t.text if t.kind != "NEWLINE" else "", t.start) for t in lex(text)]


# ------------------------------------------------------------------ the fallback lexer


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_fallback_lexer_agrees_with_tokenize_on_real_code(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    expected = _tokenize(text)
    if expected is None:
        pytest.skip("Python's tokenizer rejects this file (the sample class's syntax error)")
    assert _lexed(text) == expected


def test_fallback_lexer_agrees_on_the_generated_class_and_its_disguises() -> None:
    rng = random.Random(11)
    checked = 0
    for i in range(12):
        student = make_student(f"x{i}", rng)
        for module in MODULES:
            for disguise in DISGUISES.values():
                text = disguise(student.files[module], random.Random(i))
                expected = _tokenize(text)
                assert expected is not None
                assert _lexed(text) == expected
                checked += 1
    assert checked == 12 * len(MODULES) * len(DISGUISES)


TRICKY = [
    "x = 1\n\tif x:\n\t\ty = 2\n        z = 3\n",  # a tab is 8 columns, as for Python
    "s = '''a\n'b' \\'''\nc'''\nt = r'\\d' + b\"\\\"\" + f'{x!r:>{w}}'\n",
    "a = (1,\n     2)  # comment\n\n   # indented comment\nb = [\n]\n",
    "def f():\n    return 1\\\n        + 2\n",
    "x = 1_000.5e-3j + 0x_ff + 0o17 + 0b1 + .5 + 5. + 1e10\n",
    "if x:\n    pass\n# trailing comment\n",
    "x = 1",  # no final newline
    "class A:\n    def f(self):\n        pass\n\n\n    def g(self):\n        pass\n",
    "print('中文', \"\u00e9\")\nλ = 1\n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_fallback_lexer_agrees_with_tokenize_on_tricky_code(text: str) -> None:
    expected = _tokenize(text)
    assert expected is not None
    assert _lexed(text) == expected


BROKEN = [
    "def f(:\n  return 'abc\n",  # unterminated string, bad signature
    "x = (1,\n",  # EOF inside brackets
    "if x:\n        a = 1\n    b = 2\n",  # a dedent to no known level
    "s = '''never closed\n" + "x" * 1000,
    "s = '''ends in a backslash \\",
    "a = 1\x00b = 2\n",  # NUL byte
    ")))]]] }}} ((( x = $ ? ` \n",
    "'" * 5000 + '"' * 5001,
    "(" * 5000 + "x",
    "\\\n" * 100,
]


@pytest.mark.parametrize("text", BROKEN, ids=range(len(BROKEN)))
def test_broken_files_are_read_token_by_token(text: str) -> None:
    stream = tokenize_source(text)
    assert len(stream.words) == len(stream.starts) == len(stream.ends) == len(stream.units)
    assert all(0 <= s <= e <= len(text) for s, e in zip(stream.starts, stream.ends, strict=True))


def test_a_copy_with_a_syntax_error_still_matches_its_original() -> None:
    original = (REPO / "solutions" / "backprop.py").read_text(encoding="utf-8")
    broken = original.replace("    h = x @ w1\n", "    h = x @ w1)\n", 1)
    a, b = tokenize_source(original), tokenize_source(broken)
    assert a.parsed and not b.parsed
    same = difflib.SequenceMatcher(None, a.words, b.words, autojunk=False).ratio()
    assert same > 0.99


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab1 \t\n\\'\"#([{}]):=.,;@\u202e\x00j_e")),
               max_size=300))
def test_any_text_is_read_without_an_exception(text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nor a warning on the instructor's terminal
        stream = tokenize_source(text)
        assert len(stream.words) == len(stream.units)
        dead_spans(text, set(), mentioned_names([text]))


# ------------------------------------------------------------------ normalisation


BASE = '''
import numpy as np


def relu_grad(z, scale=2.0):
    """Derivative of relu."""
    mask = z > 0  # where it fires
    return mask.astype(float) * scale


def loss(pred, target):
    diff = pred - target
    return np.sum(diff ** 2) / len(target)
'''


def test_renaming_comments_docstrings_and_layout_change_nothing() -> None:
    disguised = '''
import numpy as numeric
def relu_grad(v,   s = 2.):
    # rewritten comment
    """A different docstring."""
    m = v > \\
         0
    "a string statement used as a comment"
    return m.astype(float) * s
def loss(p, t):
    d = p - t; return numeric.sum(d ** 2) / len(t)
'''
    assert tokenize_source(BASE).words == tokenize_source(disguised).words


def test_what_tells_independent_solutions_apart_is_kept() -> None:
    a = tokenize_source("def f(z):\n    return np.maximum(z, 0)\n").words
    b = tokenize_source("def f(z):\n    return np.minimum(z, 0)\n").words
    c = tokenize_source("def f(z):\n    return z * (z > 0)\n").words
    assert a != b and a != c
    assert "maximum" in a and "N" in a  # library attributes stay, own names do not


def test_builtins_stay_unless_the_file_rebinds_them() -> None:
    kept = tokenize_source("def f(x):\n    return sum(x) / len(x)\n").words
    assert "sum" in kept and "len" in kept
    rebound = tokenize_source("def f(x):\n    sum = 0\n    return sum\n").words
    assert "sum" not in rebound


def test_own_attributes_and_methods_are_names_library_attributes_are_not() -> None:
    words = tokenize_source(
        "class V:\n    def __init__(self, v):\n        self.value = v\n"
        "    def helper(self):\n        return self.value.T\n"
        "def f(x):\n    return np.exp(V(x).helper())\n").words
    assert "value" not in words and "helper" not in words
    assert "T" in words and "exp" in words


def test_numbers_compare_by_value() -> None:
    a = tokenize_source("x = 1 + 2.0 + 1_000\n").words
    b = tokenize_source("x = 1.0 + 2. + 1e3\n").words
    assert a == b


def test_reordered_functions_give_the_same_units() -> None:
    first = "def a(x):\n    return x + 1\n\n\ndef b(y):\n    return y * 2\n"
    second = "def b(y):\n    return y * 2\n\n\ndef a(x):\n    return x + 1\n"

    def units(text: str) -> list[tuple[str, ...]]:
        s = tokenize_source(text)
        return sorted(tuple(w for w, u in zip(s.words, s.units, strict=True) if u == k)
                      for k in set(s.units.tolist()))

    assert units(first) == units(second)


# ------------------------------------------------------------------ dead code


def _without_dead(text: str, keep: set[str]) -> tuple[str, ...]:
    return tokenize_source(text, dead_spans(text, keep, mentioned_names([text]))).words


def test_dead_code_is_set_aside() -> None:
    clean = "def f(x):\n    y = x * 2\n    return y + 1\n"
    padded = textwrap.dedent('''
        def f(x):
            unused = [i * i for i in range(5)]
            y = x * 2
            tmp = y
            tmp2 = tmp + 1
            if False:
                print("debug")
            for _ in range(0):
                pass
            42
            y
            return y + 1


        def _never_called(values):
            return sum(values)
        ''')
    assert _without_dead(padded, {"f"}) == _without_dead(clean, {"f"})


def test_code_with_an_effect_or_a_use_is_kept() -> None:
    text = textwrap.dedent('''
        def f(x, out):
            out[0] = 1
            print("side effect")
            total = 0
            for v in x:
                total += v
            global counter
            counter = 3
            return total


        def helper(v):
            return v


        def g(v):
            return helper(v)
        ''')
    assert dead_spans(text, {"f", "g"}, mentioned_names([text])) == []


def test_a_helper_used_from_another_file_of_the_hand_in_is_kept() -> None:
    text = "def shared_helper(v):\n    return v * 2\n"
    other = "from activations import shared_helper\n"
    assert dead_spans(text, set(), mentioned_names([text, other])) == []
    assert dead_spans(text, set(), mentioned_names([text])) != []


def test_a_long_chain_of_unused_assignments_stays_cheap() -> None:
    body = "\n".join(f"    a{i} = a{i - 1}" for i in range(1, 3000))
    text = f"def f():\n    a0 = 0\n{body}\n    return 1\n"
    spans = dead_spans(text, {"f"}, mentioned_names([text]))
    assert spans  # the tail of the chain goes; the bound keeps the rest (and the time) small


# ------------------------------------------------------------------ fingerprints


def test_winnowing_selects_as_in_the_paper() -> None:
    """Schleimer, Wilkerson and Aiken (2003), figure 2: hashes of "adorunrunrunadorunrun"
    (k = 5), windows of 4, fingerprints 17 17 8 39 17 at positions 3 6 8 11 15."""
    hashes = np.array([77, 74, 42, 17, 98, 50, 17, 98, 8, 88, 67, 39, 77, 74, 42, 17, 98],
                      dtype=np.uint64)
    chosen = winnow(hashes, np.zeros(len(hashes), dtype=np.int64), 4)
    assert chosen.tolist() == [3, 6, 8, 11, 15]
    assert hashes[chosen].tolist() == [17, 17, 8, 39, 17]


def test_windows_and_kgrams_never_span_two_units() -> None:
    ids = np.arange(1, 13, dtype=np.uint64)
    units = np.array([0] * 6 + [1] * 6)
    hashes, positions = kgram_hashes(ids, units, 4)
    assert positions.tolist() == [0, 1, 2, 6, 7, 8]
    chosen = winnow(np.array([5, 1, 9, 9, 2, 7], dtype=np.uint64), np.array([0, 0, 0, 1, 1, 1]),
                    5)
    assert chosen.tolist() == [1, 4]  # each unit shorter than the window gives its minimum


def test_coverage_counts_overlapping_kgrams_once() -> None:
    assert coverage(np.array([0, 2, 20]), 5) == 7 + 5
    assert coverage(np.array([], dtype=np.int64), 5) == 0


def test_fingerprints_do_not_depend_on_python_hash_randomisation() -> None:
    code = ("from nngrade.similarity.fingerprints import kgram_hashes, token_ids\n"
            "from nngrade.similarity.tokens import tokenize_source\n"
            "s = tokenize_source(open('solutions/backprop.py').read())\n"
            "h, p = kgram_hashes(token_ids(s.words), s.units, 10)\n"
            "print(h[:50].tolist(), p[:50].tolist())\n")
    outputs = set()
    for seed in ("1", "2", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        run = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=True,
                             capture_output=True, text=True)
        outputs.add(run.stdout)
    assert len(outputs) == 1


def test_token_ids_are_stable_numbers() -> None:
    assert token_ids(("N", "=", "N")).tolist()[0] == token_ids(("N",)).tolist()[0]
    assert len(set(token_ids(("N", "S", "def", "(", ")")).tolist())) == 5
