"""JSON Schema `format` values the engine knows: normalisers, checks, messages and input hints.

Adding a format is one module defining an `ENTRY` (a `FormatEntry`) and one line in `registry.BUILT_IN`.
"""

from forms_engine.validation.formats.entry import FormatEntry, identity
from forms_engine.validation.formats.registry import FormatRegistry, default_registry

__all__ = ["FormatEntry", "FormatRegistry", "default_registry", "identity"]
