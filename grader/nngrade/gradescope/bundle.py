"""``autograder.zip``: what Gradescope builds its autograder image from.

The archive holds, at its root (Gradescope's "Autograder Specifications"):

- ``setup.sh``, run once when the image is built: installs Python's venv
  (and bubblewrap, for the sandbox's namespaces, where apt can), makes
  ``/autograder/nngrade-venv`` and installs nngrade there from the wheel
  inside the bundle, then takes every secret (the bundle, the grader's
  package: hidden suites, reference engine, rubric) out of reach of other
  users, since student code runs as ``nobody`` when namespaces are blocked;
- ``run_autograder``, run for every submission: ``python -m
  nngrade.gradescope`` (`nngrade.gradescope.autograder`), and if even that cannot start, a
  results.json that says the grader failed (Gradescope shows an opaque
  error when there is none);
- ``wheels/nngrade-*.whl``, ``course/gradescope.toml`` (seed, language,
  visibility, limits), ``course/rubric.toml`` (the points in force) and a
  README for whoever opens the zip.

Both scripts honour ``NNGRADE_AUTOGRADER_ROOT`` (default ``/autograder``) so
``nngrade gradescope test`` can run them in a folder of its choice, and
``setup.sh`` lets pip's own ``PIP_*`` variables choose where dependencies
come from (``PIP_NO_INDEX=1 PIP_FIND_LINKS=DIR`` installs offline).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from pathlib import Path

from nngrade.gradescope.results import grader_failure_results
from nngrade.gradescope.settings import GradescopeSettings
from nngrade.gradescope.wheel import write_nngrade_wheel
from nngrade.rubric import load_rubric
from nngrade.version import __version__

__all__ = ["RUN_AUTOGRADER", "SETUP_SH", "build_bundle"]

SETUP_SH = r"""#!/usr/bin/env bash
# nngrade's Gradescope autograder: set-up, run once when Gradescope builds the image.
# Written by `nngrade gradescope build` (nngrade @VERSION@). See README.md.
set -euo pipefail
root="${NNGRADE_AUTOGRADER_ROOT:-/autograder}"
source_dir="$root/source"
python="${NNGRADE_PYTHON:-python3}"
venv="$root/nngrade-venv"

need=""
command -v "$python" >/dev/null 2>&1 || need="$need python3"
"$python" -c 'import ensurepip, venv' >/dev/null 2>&1 || need="$need python3-venv"
command -v bwrap >/dev/null 2>&1 || want="bubblewrap"
if [ -n "$need" ] || [ -n "${want:-}" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq || true
        if [ -n "$need" ]; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need
        fi
        if [ -n "${want:-}" ]; then  # the sandbox's namespaces; grading works without them
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                bubblewrap || echo "note: bubblewrap not installed; the sandbox falls back"
        fi
    elif [ -n "$need" ]; then
        echo "error: install$need first (apt-get install$need)" >&2
        exit 1
    fi
fi

"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$source_dir"/wheels/*.whl

# Student code runs as `nobody` when the container blocks namespaces: nothing secret may be
# readable by other users (the bundle, the grader's package with its suites and reference).
chmod -R go-rwx "$source_dir"
for pkg in "$venv"/lib/python3*/site-packages/nngrade; do chmod -R go-rwx "$pkg"; done

"$venv/bin/nngrade" --version
"$venv/bin/python" -m nngrade.gradescope.autograder --self-check "$root"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# nngrade's Gradescope autograder: run for every submission, as root, in /autograder.
# Written by `nngrade gradescope build` (nngrade @VERSION@). See README.md.
root="${NNGRADE_AUTOGRADER_ROOT:-/autograder}"
python="$root/nngrade-venv/bin/python"
status=127
if [ -x "$python" ]; then
    "$python" -m nngrade.gradescope "$root"
    status=$?
fi
if [ ! -s "$root/results/results.json" ]; then
    # The grader could not even start: say so, rather than leave Gradescope without results.
    mkdir -p "$root/results"
    cat > "$root/results/results.json" <<'EOF'
@FALLBACK@
EOF
    echo "run_autograder: nngrade did not write results.json (exit status $status)"
fi
exit 0
"""

README = """# nngrade autograder for Gradescope

Built by `nngrade gradescope build` (nngrade {version}). Upload this zip as
the assignment's autograder ("Configure Autograder", Ubuntu base image).

- `setup.sh` installs nngrade from `wheels/` into `/autograder/nngrade-venv`.
- `run_autograder` grades `/autograder/submission` as `nngrade grade` would
  (in one Python process) and writes `/autograder/results/results.json`.
- `course/gradescope.toml`: seed {seed}, language `{lang}`, hidden tests
  `{test_visibility}`, per-call timeout {call_timeout:g} s, memory {memory_mb} MB.
- `course/rubric.toml`: the points.

Try it locally first: `nngrade gradescope test SUBMISSIONS --bundle autograder.zip`.
See nngrade's docs/gradescope.md.
"""


def _run_autograder() -> str:
    """run_autograder, with the results.json it writes when the grader cannot even start."""
    fallback = grader_failure_results(
        "run_autograder: the nngrade autograder did not start (see stdout)", "en", 0.0)
    return (RUN_AUTOGRADER.replace("@VERSION@", __version__)
            .replace("@FALLBACK@", json.dumps(fallback, ensure_ascii=False)))


def _add(zf: zipfile.ZipFile, arcname: str, data: bytes, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = mode << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def build_bundle(out: Path, settings: GradescopeSettings, rubric_path: Path | None = None) -> Path:
    """Write the autograder zip to ``out`` and return its path."""
    rubric = load_rubric(rubric_path)  # refuse a broken rubric now, not at the first submission
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="nngrade-gradescope-") as tmp:
        wheel = write_nngrade_wheel(Path(tmp))
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{out.name}.partial")
        with zipfile.ZipFile(partial, "w") as zf:
            _add(zf, "setup.sh", SETUP_SH.replace("@VERSION@", __version__).encode(), 0o755)
            _add(zf, "run_autograder", _run_autograder().encode(), 0o755)
            _add(zf, f"wheels/{wheel.name}", wheel.read_bytes())
            _add(zf, "course/gradescope.toml", settings.to_toml().encode())
            _add(zf, "course/rubric.toml", rubric.path.read_bytes())
            _add(zf, "README.md", README.format(
                version=__version__, seed=settings.seed, lang=settings.lang,
                test_visibility=settings.test_visibility, call_timeout=settings.call_timeout,
                memory_mb=settings.memory_mb).encode())
        shutil.move(str(partial), out)
    return out
