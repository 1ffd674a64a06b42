"""aether-codegen: generates the typed layer of the Aether SDK from the schema."""

__version__ = "0.1.0"

__all__ = ["__version__"]
