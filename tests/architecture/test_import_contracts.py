"""The house rules hold, and a broken one is caught: import-linter, as ``make test`` runs it."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def test_the_contracts_of_this_tree_are_kept() -> None:
    checked = subprocess.run(
        [LINT_IMPORTS], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )
    assert checked.returncode == 0, checked.stdout
    assert "0 broken" in checked.stdout


def test_a_forbidden_import_breaks_the_build(tmp_path: Path) -> None:
    """A copy of the contracts over a tree where the register imports the pipeline."""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    for package, body in {
        "pipelines": "",
        "audiences": "",
        "objections": "import pipelines\n",
    }.items():
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(body)
    first = contracts["contracts"][0]
    (tmp_path / ".importlinter").write_text(
        "[importlinter]\nroot_packages =\n    pipelines\n    audiences\n    objections\n\n"
        f"[importlinter:contract:edge]\nname = {first['name']}\ntype = {first['type']}\n"
        "source_modules =\n    audiences\n    objections\nforbidden_modules =\n    pipelines\n"
    )

    checked = subprocess.run(
        [LINT_IMPORTS],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={"PYTHONPATH": str(tmp_path), "PATH": ""},
    )

    assert checked.returncode == 1, checked.stdout
    assert "objections -> pipelines" in checked.stdout
