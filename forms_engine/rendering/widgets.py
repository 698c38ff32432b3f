"""The widget registry: every `x-widget` name maps to one macro in templates/components/."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Widget:
    name: str
    macro: str
    group: bool  # rendered as a fieldset with a legend rather than one labelled control
    internal: bool = False  # chosen by the renderer only (structure), never named by `x-widget`


class WidgetRegistry:
    def __init__(self) -> None:
        self._widgets: dict[str, Widget] = {}

    def register(self, widget: Widget) -> Widget:
        if widget.name in self._widgets:
            raise ValueError(f"widget {widget.name!r} is already registered")
        self._widgets[widget.name] = widget
        return widget

    def get(self, name: str) -> Widget | None:
        return self._widgets.get(name)

    def __contains__(self, name: object) -> bool:
        widget = self._widgets.get(name) if isinstance(name, str) else None
        return widget is not None and not widget.internal

    def names(self) -> frozenset[str]:
        """The names a definition may use in `x-widget` (internal widgets excluded)."""
        return frozenset(n for n, w in self._widgets.items() if not w.internal)


_BUILTIN: tuple[tuple[str, bool], ...] = (
    ("text", False), ("textarea", False), ("number", False), ("email", False), ("tel", False),
    ("select", False), ("radio", True), ("checkboxes", True), ("yes-no", True), ("consent", True),
    ("date", True), ("wareki-date", True), ("name", True), ("furigana", True), ("postal-code", False),
    ("address", True), ("my-number", False), ("corporate-number", False), ("file", False),
)
# Structure the renderer picks itself: an object's fieldset, a list of items, a choice between
# alternative sets of fields, a value shown as text.
_INTERNAL: tuple[tuple[str, bool], ...] = (("group", True), ("array", True), ("alternatives", True), ("readonly", False))


def default_widgets(extra: Callable[[WidgetRegistry], None] | None = None) -> WidgetRegistry:
    """A fresh registry with the widgets of the procedure format."""
    registry = WidgetRegistry()
    for name, group in _BUILTIN:
        registry.register(Widget(name=name, macro=name.replace("-", "_"), group=group))
    for name, group in _INTERNAL:
        registry.register(Widget(name=name, macro=name, group=group, internal=True))
    if extra is not None:
        extra(registry)
    return registry
