"""Build hook: ship queries/, data/ and geodata/ inside the wheel (as dashboard/_shipped/...).

Everything else is in pyproject.toml. In a source checkout (and an editable install) the dashboard reads
the top-level folders directly; an installed wheel has no checkout, so `dashboard.data_root()` and
`dashboard.QUERIES_DIR` fall back to these copies (dashboard/__init__.py).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("queries", "data", "geodata", ".streamlit")


class BuildPyWithShippedData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        root = Path(__file__).resolve().parent
        for name in SHIPPED:
            src = root / name
            if src.is_dir():
                shutil.copytree(src, Path(self.build_lib) / "dashboard" / "_shipped" / name, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithShippedData})
