"""docs/architecture.md matches the code: every part is named there, and no part imports a layer above it."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KERNEL = ROOT / "core"
#: source folder → the import package it is (pyproject's package-dir)
FOLDERS = {"core": "goldsieve", "plugins": "goldsieve.plugins", "ui": "goldsieve.ui",
           "schemas": "goldsieve.schemas"}
MAX_LINES = 550
MAX_TOP_MODULES = 15


def layers() -> dict[str, int]:
    """Part → its layer, as docs/architecture.md lists them (bottom first)."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- layers:.*?-->(.*?)<!-- /layers -->", text, re.S)
    assert block, "docs/architecture.md has no list of layers"
    found = {}
    for line in block.group(1).strip().splitlines():
        number, parts = re.match(r"(\d+)\. (.*)", line.strip()).groups()
        for part in re.findall(r"`([a-z_]+)`", parts):
            found[part] = int(number)
    return found


def module_name(path: Path) -> str:
    """The dotted module name of a source file (a package's ``__init__`` is the package)."""
    rel = path.relative_to(ROOT)
    parts = [FOLDERS[rel.parts[0]], *rel.with_suffix("").parts[1:]]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def part_of(module: str) -> str | None:
    """The part a ``goldsieve…`` module belongs to; ``None`` for the package root and schemas."""
    names = module.split(".")[1:]
    if not names or names[0] == "schemas":
        return None
    return names[0]


def sources() -> list[Path]:
    return sorted(p for folder in ("core", "plugins", "ui") for p in (ROOT / folder).rglob("*.py"))


def runtime_imports(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """(line, module) for every ``goldsieve`` import that runs: not those under ``if TYPE_CHECKING``."""
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source)
    typing_only = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("goldsieve")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if not module.startswith("goldsieve"):
                continue
            if module == "goldsieve":  # from goldsieve import ui, hookimpl, ...
                found += [(node.lineno, f"goldsieve.{a.name}") for a in node.names
                          if (KERNEL / a.name).exists() or (KERNEL / f"{a.name}.py").exists()
                          or a.name in ("ui", "plugins")]
            else:
                found.append((node.lineno, module))
    return found


def test_every_part_of_the_kernel_is_in_the_architecture():
    listed = layers()
    parts = {p.name for p in KERNEL.iterdir() if (p / "__init__.py").exists()}
    parts |= {p.stem for p in KERNEL.glob("*.py") if p.stem != "__init__"}
    assert sorted(parts - set(listed)) == [], "parts of core/ missing from docs/architecture.md"
    assert sorted(set(listed) - parts - {"plugins", "ui"}) == [], "docs/architecture.md names parts core/ lacks"


def test_no_part_imports_a_layer_above_it():
    listed = layers()
    wrong = []
    for path in sources():
        mine = part_of(module_name(path))
        if mine is None:
            continue
        for line, module in runtime_imports(path):
            theirs = part_of(module)
            if theirs is not None and theirs != mine and listed[theirs] > listed[mine]:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {mine} (layer {listed[mine]}) imports "
                             f"{module} (layer {listed[theirs]})")
    assert wrong == []


def test_the_layer_check_reads_relative_and_typing_only_imports():
    """The checker itself: the engine importing the CLI is seen; a type-only import is not."""
    engine = KERNEL / "deals" / "engine.py"
    source = ("from typing import TYPE_CHECKING\nfrom ..cli import main\nfrom . import outbox\n"
              "if TYPE_CHECKING:\n    from ..web.app import create_app\n")
    assert runtime_imports(engine, source) == [(2, "goldsieve.cli"), (3, "goldsieve.deals")]


def test_the_top_of_the_kernel_is_small_and_no_module_is_long():
    top = [p.name for p in KERNEL.glob("*.py") if p.name != "__init__.py"]
    assert len(top) <= MAX_TOP_MODULES, sorted(top)
    long = {str(p.relative_to(ROOT)): n for p in sources() if p.parts[len(ROOT.parts)] != "ui"
            and (n := p.read_text(encoding="utf-8").count("\n")) > MAX_LINES}
    assert long == {}


@pytest.mark.parametrize("doc", ["README.md", "docs/architecture.md"])
def test_the_docs_name_no_module_that_is_gone(doc):
    """Paths like ``core/deals/engine.py`` in the docs exist."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    missing = sorted({m for m in re.findall(r"`((?:core|ui|plugins|schemas|tests)/[\w/.]+\.(?:py|json))`", text)
                      if not (ROOT / m).exists()})
    assert missing == []


def test_nothing_cites_a_design_file_outside_the_repository():
    cited = [str(p.relative_to(ROOT)) for folder in ("core", "plugins", "ui", "tests", "docs", "bench")
             for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".md", ".html")
             and p.name != "test_architecture.py" and "DESIGN.md" in p.read_text(encoding="utf-8")]
    assert cited == []


@pytest.mark.parametrize("old", ["goldsieve.actions", "goldsieve.channels", "goldsieve.funnel",
                                 "goldsieve.funnel_check"])
def test_a_public_module_that_moved_still_imports_under_its_old_name(old):
    """Plugins written against the flat kernel keep working: the same module object, and a
    DeprecationWarning that names the new place."""
    from goldsieve import MOVED

    new = MOVED[old]
    probe = (f"import warnings, importlib; warnings.simplefilter('error')\n"
             f"try:\n    importlib.import_module({old!r})\n"
             f"except DeprecationWarning as w:\n    print(w)\n"
             f"warnings.simplefilter('ignore')\n"
             f"a, b = importlib.import_module({old!r}), importlib.import_module({new!r})\n"
             f"print(a is b, b.__spec__.name)\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [f"{old} moved to {new}; import it from there", f"True {new}"]
