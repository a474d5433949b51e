"""One text system (issue 12 item 5, issue 16 item 4): user-facing words live in dashboard/catalog/*.json.

Two checks over every Python module of the package, by its syntax tree:
- a branch on the language (`lang == "zh"`, `lang() != "en"`, `self.lang == ...`) appears only in the
  modules named in BRANCHES, each with the number of branches it holds and why they stay (number grammar,
  layout); choosing between a pair held as data goes through core.text.by_lang / lang_column;
- a string literal with Chinese characters (docstrings and regular expressions aside) appears only in the
  modules named in CHINESE, each with its count and why (data definitions, input matching, text still to move).
A new branch or a new Chinese literal anywhere else fails: put the words in the catalog and look them up
with core.text.t. When a count goes down, lower it here (the lists only shrink).

Budgets are keyed by path prefix, so a module split into several (`analyses/coverage/`, `data/demo`) keeps
its budget as a whole.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "dashboard"
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
LANG_CODES = {"zh", "en"}

# prefix (relative to the repository) -> (branches, why they stay)
BRANCHES: dict[str, tuple[int, str]] = {
    "dashboard/core/text.py": (1, "by_lang: the one place that chooses between a pair held as data"),
    "dashboard/core/numbers.py": (4, "number grammar: no space before a Chinese unit, 万/亿 words, 万 axis ticks"),
    "dashboard/core/metrics.py": (1, "number grammar: 多 goes inside a Chinese number (6万多人)"),
    "dashboard/ui/screens.py": (1, "Streamlit's own uploader text is English: replaced by CSS in other languages"),
    "dashboard/analyses/pay/page.py": (2, "layout: fewer tiles a row in English (longer labels)"),
    "dashboard/analyses/grids/page.py": (3, "layout: fewer tiles a row in English (longer labels)"),
    "dashboard/analyses/property/page.py": (2, "layout: fewer tiles a row in English (longer labels)"),
    # coverage's summary sentence, in two f-strings (coverage/model.py was being split; pay, grids and property
    # build theirs from catalog templates)
    "dashboard/analyses/coverage/": (1, "summary sentence in two f-strings (to move to the catalog)"),
}

# prefix -> (Chinese string literals, why they stay)
CHINESE: dict[str, tuple[int, str]] = {
    "dashboard/data/schemas.py": (164, "the data dictionary: each column's Chinese meaning (also an accepted upload header)"),
    "dashboard/data/demo": (26, "names in the demonstration data"),
    "dashboard/data/newcity.py": (16, "division names matched in and written to a new city's data folder, CLI errors"),
    "dashboard/data/load.py": (4, "yes/no words accepted in uploaded cells"),
    "dashboard/data/catalogue.py": (8, "parsing the notes of data/indicators.csv (its qualifier marks, note_zh's separator)"),
    "dashboard/data/readiness.py": (1, "sub-district names joined as a data cell"),
    "dashboard/upload/core.py": (4, "number and division-level words matched in uploads"),
    "dashboard/upload/xlsx.py": (3, "sheet names of old and new templates, matched"),
    "dashboard/exports/pdf_file.py": (1, "a glyph that tells whether a font covers Chinese"),
    "dashboard/core/metrics.py": (6, "number grammar: 多, 万多, the pattern of a number's head; the qualifier marks of indicators.csv notes"),
    "dashboard/core/scenario.py": (4, "the view settings' labels, a zh/en pair as in dashboard/params/*.toml"),
    "dashboard/core/charts.py": (1, "街道 dropped from street names on maps"),
    "dashboard/analyses/overview/svgmap.py": (1, "街道 dropped from street names on maps"),
    "dashboard/analyses/beds/charts.py": (1, "街道 dropped from street names on maps"),
    "dashboard/analyses/coverage/": (69, "街道 on maps; metric labels and notes (label_zh/note_zh) and the summary sentence"),
    "dashboard/analyses/beds/model.py": (23, "metric labels and notes held as label_zh/note_zh pairs"),
    "dashboard/analyses/pay/model.py": (22, "metric labels and notes held as label_zh/note_zh pairs"),
    "dashboard/analyses/grids/model.py": (31, "metric labels and notes held as label_zh/note_zh pairs"),
    "dashboard/analyses/property/model.py": (20, "metric labels and notes held as label_zh/note_zh pairs"),
    "dashboard/__main__.py": (3, "the CLI's description and its help's Chinese examples (宜昌市, 区)"),
    "dashboard/app.py": (1, "the browser tab's title in both languages (set before the language is known)"),
}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _is_lang(node: ast.AST) -> bool:
    """`lang`, `lang_`, `self.lang`, `lang()`, `ui.lang()`."""
    if isinstance(node, ast.Call):
        node = node.func
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return name.rstrip("_") == "lang"


def language_branches(tree: ast.AST) -> list[int]:
    """Line numbers of comparisons of the language with a language code (==, !=, in)."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare) or not isinstance(node.ops[0], (ast.Eq, ast.NotEq, ast.In, ast.NotIn)):
            continue
        sides = [node.left, *node.comparators]
        codes = [s for s in sides if isinstance(s, ast.Constant) and s.value in LANG_CODES]
        codes += [s for s in sides if isinstance(s, (ast.Tuple, ast.List, ast.Set))
                  and all(isinstance(e, ast.Constant) and e.value in LANG_CODES for e in s.elts)]
        if codes and any(_is_lang(s) for s in sides):
            lines.append(node.lineno)
    return lines


def chinese_literals(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, text) of string constants with Chinese characters, except docstrings and patterns given to `re`."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "re" and node.args:
            skip.update(id(n) for n in ast.walk(node.args[0]))
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skip and CJK.search(n.value)]


def _budget(found: dict[str, list], budgets: dict[str, tuple[int, str]], what: str) -> list[str]:
    used: Counter[str] = Counter()
    problems = []
    for rel, items in found.items():
        prefix = next((p for p in budgets if rel.startswith(p)), None)
        if prefix is None:
            problems += [f"{rel}:{item if isinstance(item, int) else item[0]}: {what} outside the catalog"
                         + ("" if isinstance(item, int) else f" {item[1][:40]!r}") for item in items]
        else:
            used[prefix] += len(items)
    for prefix, (allowed, why) in budgets.items():
        if used[prefix] > allowed:
            problems.append(f"{prefix}: {used[prefix]} × {what}, {allowed} allowed ({why}): a new one bypasses the catalog")
        elif used[prefix] < allowed:
            problems.append(f"{prefix}: {used[prefix]} × {what} now, {allowed} allowed: lower the count in this test")
    return problems


def _scan():
    branches, chinese = {}, {}
    for path in _modules():
        rel = path.relative_to(REPO).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if lines := language_branches(tree):
            branches[rel] = lines
        if literals := chinese_literals(tree):
            chinese[rel] = literals
    return branches, chinese


def test_no_new_branch_on_the_language():
    branches, _ = _scan()
    problems = _budget(branches, BRANCHES, "language branch")
    assert not problems, "\n".join(problems)


def test_no_new_chinese_string_outside_the_catalog():
    _, chinese = _scan()
    problems = _budget(chinese, CHINESE, "Chinese literal")
    assert not problems, "\n".join(problems)


def test_the_checks_find_what_they_look_for():
    """Known answers: a planted branch and a planted literal are found; docstrings, patterns and by_lang are not."""
    planted = ast.parse('''
"""模块说明"""
import re
def f(lang, x):
    """函数说明"""
    if lang == "zh":
        return "床位缺口"
    y = "、" if ui.lang() != "zh" else ","
    ok = by_lang(lang, "甲", "b")
    return re.sub(r"[万亿]", "", x) if self.lang in ("en",) else x
''')
    assert sorted(language_branches(planted)) == [6, 8, 10]
    assert [text for _, text in sorted(chinese_literals(planted))] == ["床位缺口", "、", "甲"]
    assert _budget({"dashboard/x.py": [7]}, {}, "language branch") == [
        "dashboard/x.py:7: language branch outside the catalog"]
    assert "a new one bypasses" in _budget({"dashboard/a/b.py": [1, 2]}, {"dashboard/a/": (1, "why")}, "language branch")[0]
