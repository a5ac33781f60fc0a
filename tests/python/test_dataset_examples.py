"""The README's "Counting over datasets" examples run as written, each in a fresh interpreter.

The Ray example needs ray[data] (skipped without it) and takes ~20-40 s to start its cluster.
The Spark example runs in test_spark.py, on that module's session: a fresh JVM for it alone
would cost a minute or more.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys

import pytest

from pkg_support import REPO

SECTION = "## Counting over datasets (Arrow, Spark, Ray)"


def _examples() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index(SECTION)
    end = readme.find("\n## ", start + len(SECTION))
    section = readme[start : end if end >= 0 else len(readme)]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def _engine(code: str) -> str:
    if "pyspark" in code:
        return "spark"
    if "import ray" in code:
        return "ray"
    return "arrow"


def readme_example(engine: str) -> str:
    """The README section's example for `engine` ("arrow", "spark" or "ray")."""
    (code,) = [c for c in _examples() if _engine(c) == engine]
    return code


def test_the_section_has_an_example_per_engine():
    assert sorted(_engine(c) for c in _examples()) == ["arrow", "ray", "spark"]


@pytest.mark.parametrize("engine", ["arrow", "ray"])
def test_readme_example_runs(engine, tmp_path):
    needs = {"arrow": ["pyarrow", "pandas"], "ray": ["pyarrow", "ray"]}
    for module in needs[engine]:
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed")
    code = readme_example(engine)
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    env = dict(os.environ, PYTHONWARNINGS="ignore::FutureWarning")
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, f"example failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
