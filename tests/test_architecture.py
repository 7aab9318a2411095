"""Imports point down the house, never up (docs: the map of the house).

Layers, bottom to top: core < agents < interactions, scheduling < quality < kpis <
forecasting < staffing < reports < demo < contactcenter. An app may import its own
layer's modules and those below; interactions and scheduling are siblings and import
neither each other. Every import counts, those
inside functions included (a lazy import is still an arrow); migrations are left out
(they name other apps' models by string and freeze history).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The layer of each app: an app may import apps of a lower layer only, besides its own.
LAYERS = {
    "core": 0,
    "agents": 1,
    "interactions": 2,
    "scheduling": 2,
    "quality": 3,
    "kpis": 4,
    "forecasting": 5,
    "staffing": 6,
    "reports": 7,
    "demo": 8,
    "contactcenter": 9,
}


def _imported_apps(tree: ast.AST):
    """(line, module) for every import of one of the apps, absolute or relative."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def _python_files(root: Path, app: str):
    for path in sorted((root / app).rglob("*.py")):
        if "migrations" not in path.relative_to(root).parts:
            yield path


def back_edges(root: Path = ROOT) -> list[str]:
    """Every import that points up the layering or sideways between siblings."""
    found = []
    for app, layer in LAYERS.items():
        for path in _python_files(root, app):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for line, module in _imported_apps(tree):
                target = module.split(".")[0]
                if target == app or target not in LAYERS:
                    continue
                if LAYERS[target] >= layer:
                    found.append(
                        f"{path.relative_to(root)}:{line}: {app} imports {module} "
                        f"({target} is not below {app})"
                    )
    return found


def test_every_app_is_on_the_map():
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")} | {"core", "contactcenter"}
    assert apps <= set(LAYERS), f"add {sorted(apps - set(LAYERS))} to LAYERS"


def test_the_layering_check_reads_the_real_apps():
    """The walk below finds the project's files (a wrong ROOT would find none and pass)."""
    assert ROOT / "kpis" / "live.py" in set(_python_files(ROOT, "kpis"))
    assert ROOT / "interactions" / "models.py" in set(_python_files(ROOT, "interactions"))
    assert not any("migrations" in p.parts for p in _python_files(ROOT, "kpis"))


def test_no_import_points_up_the_layering():
    edges = back_edges()
    assert not edges, "imports that point up the layering:\n" + "\n".join(edges)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from scheduling.models import Shift", "agents imports scheduling.models"),
        ("def f():\n    import interactions.models", "agents imports interactions.models"),
        ("from kpis import live", "agents imports kpis"),
        ("import core.roles\nfrom interactions import api", "agents imports interactions"),
    ],
)
def test_a_back_edge_is_named_with_its_file_and_import(tmp_path, source, expected):
    app = tmp_path / "agents"
    app.mkdir()
    (app / "late.py").write_text(source)
    (app / "migrations").mkdir()
    (app / "migrations" / "0001_initial.py").write_text("import kpis")
    edges = back_edges(tmp_path)
    assert len(edges) == 1
    assert edges[0].startswith("agents/late.py:") and expected in edges[0]
