"""Rendering: model -> in-memory {path: text} per target -> write or check.

Two targets render the same model: python (templates/python/, post-formatted with the pinned ruff)
and typescript (templates/typescript/, written as rendered).
"""

from aether_codegen.render.env import make_environment
from aether_codegen.render.files import check_tree, write_tree
from aether_codegen.render.project import SDK_PACKAGE_DIR, render_project
from aether_codegen.render.typescript import TS_PACKAGE_DIR, render_typescript

__all__ = [
    "SDK_PACKAGE_DIR",
    "TS_PACKAGE_DIR",
    "check_tree",
    "make_environment",
    "render_project",
    "render_typescript",
    "write_tree",
]
