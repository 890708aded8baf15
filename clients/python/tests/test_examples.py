"""The README's Python snippet and the examples run against a live ``braid demo`` and print
Braid's answer with its provenance."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent / "examples"
REPO_README = HERE.parents[2] / "README.md"


def run(args: list[str], braid_url: str) -> str:
    env = {**os.environ, "BRAID_URL": braid_url}
    env.pop("BRAID_API_KEY", None)
    done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done.stdout


def readme_snippet() -> str:
    text = REPO_README.read_text(encoding="utf-8")
    section = text.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the README's Python section should have one Python snippet"
    return blocks[0]


def test_the_readme_snippet(braid_url: str) -> None:
    out = run(["-c", readme_snippet()], braid_url)
    assert out.startswith("routed to ['graph'] - entity 'France' linked to country:FRA")
    assert re.search(r"^(\w+) +found by graph#1: France —borders→ \1$", out, flags=re.M), out
    # The output the README shows is what it prints (bar the wording of the router's reason).
    shown = REPO_README.read_text(encoding="utf-8").split("\n## Python\n", 1)[1].split("```text\n", 1)[1]
    shown_lines, out_lines = shown.split("```", 1)[0].splitlines(), out.splitlines()
    assert out_lines[1:] == shown_lines[1:]
    assert out_lines[0].split(" - ")[0] == shown_lines[0].split(" - ")[0]


def test_quickstart(braid_url: str) -> None:
    out = run([str(EXAMPLES / "quickstart.py"), "Which countries border Kenya?"], braid_url)
    assert "routes ['graph'] (primary graph)" in out
    assert "found by graph#1" in out and "Kenya —borders→ Ethiopia" in out


@pytest.mark.parametrize("example", ["langchain_retriever.py", "llamaindex_query_engine.py"])
def test_framework_examples(braid_url: str, example: str) -> None:
    out = run([str(EXAMPLES / example)], braid_url)
    assert "France —borders→ Germany" in out  # Braid's answer, in the prompt / the engine's answer
    # The first answer is one of France's neighbours, found by the graph route (which one is the
    # server's ranking).
    assert re.search(r" (\w+)\s+\[entity, found by graph#1; plan: graph\]\n\s+France —borders→ \1\n", out), out
    assert re.search(rf"{re.escape(braid_url)}/v1/images/img:[^ ]+/content", out), out
