"""The benchmark scripts (`make bench`, `make loadtest`, `make loadtest-upload`) are not run by `make test`
(they measure, they do not assert), so a helper they call that no longer exists would only show when
someone measures. Every `common.<name>` a bench script uses must exist, and every script must import."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
SCRIPTS = sorted(p for p in BENCH.glob("*.py") if p.name != "__init__.py")


def _common_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "common"}


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_bench_script_imports_and_uses_existing_helpers(path):
    module = importlib.import_module(f"bench.{path.stem}")
    common = importlib.import_module("bench.common")
    missing = sorted(name for name in _common_names(path) if not hasattr(common, name))
    assert not missing, f"{path.name} uses bench.common.{missing} which does not exist"
    assert module is not None


def test_the_load_clients_leading_hash_reads_a_forward_messages_hash_only():
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    from bench.loadtest import leading_hash

    msg = ForwardMsg(hash="0123456789abcdef")
    msg.metadata.cacheable = True
    msg.delta.new_element.markdown.body = "x" * 100_000
    assert leading_hash(msg.SerializeToString()) == "0123456789abcdef"
    assert leading_hash(ForwardMsg(ref_hash="abc").SerializeToString()) is None  # no hash field first
    assert leading_hash(b"") is None
