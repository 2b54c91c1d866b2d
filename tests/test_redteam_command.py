"""`supportdesk eval redteam` as an operator runs it: its own process, the desk's embedder.

tests/test_guardrails_evaluate.py pins the figures with a stand-in embedder; this runs the
command line end to end on the same fixture files with the configured (local) embedder.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "guardrails" / "eval"
LAST_LINE = re.compile(r"^detection_rate=(\d\.\d{4}) benign_false_positive_rate=(\d\.\d{4})$")


def supportdesk(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "supportdesk.cli", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,  # no .env here: the defaults, i.e. the in-process MiniLM
        env={**os.environ, "PYTHONPATH": str(ROOT / "services")},
        timeout=300,
    )


def test_the_command_reports_the_figures_of_the_desk_s_embedder(tmp_path: Path) -> None:
    out = tmp_path / "verdicts.json"
    result = supportdesk(
        "eval", "redteam", "--prompts", str(FIXTURES / "prompts.jsonl"),
        "--benign", str(FIXTURES / "benign.jsonl"), "--kb", str(FIXTURES / "kb"),
        "--json", str(out), cwd=tmp_path,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("guardrails: rules + exemplar classifier on local/all-MiniLM-L6-v2")
    figures = LAST_LINE.match(lines[-1])
    assert figures is not None, lines[-1]
    written = json.loads(out.read_text())
    assert written["embedder"] == "local/all-MiniLM-L6-v2"
    assert len(written["rows"]) == 6 and len(written["benign"]) == 4
    assert figures.groups() == (
        f"{written['detection_rate']:.4f}",
        f"{written['benign_false_positive_rate']:.4f}",
    )
    by_id = {row["id"]: row["detected"] for row in written["rows"]}
    # Attacks the rules alone catch are caught with the model too.
    assert by_id["override-1"] and by_id["override-2"] and by_id["planted-1"]


def test_a_bad_prompts_file_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "direct"}\n')

    result = supportdesk("eval", "redteam", "--prompts", str(bad), cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(f"error: {bad}:1:")
