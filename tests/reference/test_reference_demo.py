"""`nngrade demo` trains both lecture networks and shows the losses falling."""

from __future__ import annotations

import re

from click.testing import CliRunner

from nngrade.reference.demo import demo_command


def test_demo_prints_falling_losses() -> None:
    result = CliRunner().invoke(demo_command, ["--seed", "1", "--epochs", "4000", "--steps", "200"])
    assert result.exit_code == 0, result.output
    assert "rounded outputs wrong on 0 of 4 inputs" in result.output
    xor_losses = [float(v) for v in re.findall(r"epoch\s+\d+\s+loss (\S+)", result.output)]
    net_losses = [float(v) for v in re.findall(r"step\s+\d+\s+loss (\S+)", result.output)]
    assert xor_losses[-1] < 0.1 * xor_losses[0]
    assert net_losses[-1] < 1e-3 * net_losses[0]
