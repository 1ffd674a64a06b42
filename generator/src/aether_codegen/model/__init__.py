"""The generator's frozen model: everything the templates read, decided before rendering."""

from aether_codegen.model.build import build_model
from aether_codegen.model.entities import (
    Callback,
    Field,
    Helper,
    IdentityParam,
    Message,
    Model,
    Param,
    Principal,
    Route,
    Topic,
    Variant,
)

__all__ = [
    "Callback",
    "Field",
    "Helper",
    "IdentityParam",
    "Message",
    "Model",
    "Param",
    "Principal",
    "Route",
    "Topic",
    "Variant",
    "build_model",
]
