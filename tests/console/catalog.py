"""Every message the console marks for translation, found in its templates (Jinja) and modules (ast)."""
from __future__ import annotations

import ast
from pathlib import Path

CONSOLE = Path(__file__).resolve().parents[2] / "api" / "console"
MARKERS = {"_", "gettext", "N_", "ngettext"}


def template_messages(env) -> set[str]:
    """Constant strings passed to _() / gettext() / ngettext() in the console's templates."""
    found = set()
    for path in (CONSOLE / "templates").rglob("*.html"):
        for _line, _function, message in env.extract_translations(path.read_text("utf-8")):
            found.update(m for m in (message if isinstance(message, tuple) else (message,)) if m)
    return found


def module_messages() -> set[str]:
    """Constant strings passed to gettext() or N_() in the console's Python modules."""
    found = set()
    for path in CONSOLE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MARKERS:
                found.update(arg.value for arg in node.args
                             if isinstance(arg, ast.Constant) and isinstance(arg.value, str))
    return found
