"""Rendering: model -> in-memory {path: text} -> pinned ruff format -> write or check."""

from aether_codegen.render.env import make_environment
from aether_codegen.render.files import check_tree, write_tree
from aether_codegen.render.project import SDK_PACKAGE_DIR, render_project

__all__ = ["SDK_PACKAGE_DIR", "check_tree", "make_environment", "render_project", "write_tree"]
