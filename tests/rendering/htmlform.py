"""A small browser stand-in for tests: read a page's form controls, fill them, post them like a browser would."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any


@dataclass
class Control:
    tag: str
    type: str
    name: str
    value: str
    id: str | None
    checked: bool = False
    options: list[tuple[str, bool]] = field(default_factory=list)  # selects: (value, selected)
    attrs: dict[str, str | None] = field(default_factory=dict)


class HtmlForm(HTMLParser):
    """Every control of the page's form, every id, every label's `for`, and the attributes we forbid."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.controls: list[Control] = []
        self.ids: Counter[str] = Counter()
        self.label_for: set[str] = set()
        self.all_attrs: list[tuple[str, dict[str, str | None]]] = []
        self.inline_scripts = 0
        self._select: Control | None = None
        self._option: tuple[str, bool] | None = None
        self._option_text = ""
        self._textarea: Control | None = None
        self._script_has_src = False
        self._in_script = False
        self.forms: list[tuple[str, str]] = []  # (method, action) of each form, in order
        self.main_buttons: list[Control] = []  # submit buttons inside <main>'s forms, in order
        self._in_main = False
        self._in_form = False
        self._button: Control | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attrs_list)
        self.all_attrs.append((tag, attrs))
        if attrs.get("id"):
            self.ids[str(attrs["id"])] += 1
        if tag == "label" and attrs.get("for"):
            self.label_for.add(str(attrs["for"]))
        if tag == "script":
            self._in_script = True
            self._script_has_src = "src" in attrs
        if tag == "main":
            self._in_main = True
        if tag == "form":
            self._in_form = True
            self.forms.append((str(attrs.get("method") or "get").lower(), str(attrs.get("action") or "")))
        name = str(attrs.get("name") or "")
        if tag == "input":
            self.controls.append(Control(tag, str(attrs.get("type") or "text"), name, str(attrs.get("value") or ""),
                                         attrs.get("id"), "checked" in attrs, attrs=attrs))
        elif tag == "button":
            button = Control(tag, str(attrs.get("type") or "submit"), name, str(attrs.get("value") or ""),
                             attrs.get("id"), attrs=attrs)
            self.controls.append(button)
            if self._in_main and self._in_form and button.type == "submit":
                self.main_buttons.append(button)
            self._button = button
        elif tag == "select":
            self._select = Control(tag, "select", name, "", attrs.get("id"), attrs=attrs)
            self.controls.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = (str(attrs.get("value", "")), "selected" in attrs)
        elif tag == "textarea":
            self._textarea = Control(tag, "textarea", name, "", attrs.get("id"), attrs=attrs)
            self.controls.append(self._textarea)

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._select is not None and self._option is not None:
            self._select.options.append(self._option)
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "script":
            self._in_script = False
        elif tag == "main":
            self._in_main = False
        elif tag == "form":
            self._in_form = False
        elif tag == "button" and self._button is not None:
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button.attrs["text"] = (self._button.attrs.get("text") or "") + data
        if self._textarea is not None:
            self._textarea.value += data
        if self._in_script and not self._script_has_src and data.strip():
            self.inline_scripts += 1

    # -- questions tests ask -------------------------------------------------------------------
    @property
    def action(self) -> str:
        """Where the page's (first) post form goes."""
        return next(a for m, a in self.forms if m == "post")

    def primary(self) -> Control:
        """The resident robot's button: the first submit button without `name="_action"` in <main>'s form."""
        return next(b for b in self.main_buttons if b.name != "_action")

    def named(self, name: str) -> list[Control]:
        return [c for c in self.controls if c.name == name]

    def fillable(self) -> set[str]:
        return {c.name for c in self.controls if c.name and c.tag != "button" and c.type != "hidden"}

    def hidden(self) -> list[tuple[str, str]]:
        return [(c.name, c.value) for c in self.controls if c.type == "hidden" and c.name]

    def buttons(self) -> list[Control]:
        return [c for c in self.controls if c.tag == "button" and c.name == "_action"]

    def current(self) -> list[tuple[str, str]]:
        """What a browser posts as the page stands (no button pressed, no file chosen)."""
        out: list[tuple[str, str]] = []
        for c in self.controls:
            if not c.name or c.tag == "button" or c.type == "file":
                continue
            if c.type in ("radio", "checkbox"):
                if c.checked:
                    out.append((c.name, c.value))
            elif c.tag == "select":
                chosen = [v for v, s in c.options if s] or [c.options[0][0] if c.options else ""]
                out.append((c.name, chosen[0]))
            else:
                out.append((c.name, c.value))
        return out

    def offers(self, name: str, value: str) -> bool:
        """Whether a resident can give `value` to control `name` (choices only offer their options)."""
        controls = self.named(name)
        if not controls:
            return False
        if controls[0].type in ("radio", "checkbox"):
            return any(c.value == value for c in controls)
        if controls[0].tag == "select":
            return any(v == value for v, _ in controls[0].options)
        return True

    def problems(self) -> list[str]:
        """Markup the contract forbids, ids that repeat, controls without a label."""
        found = [f"duplicate id {i!r}" for i, n in self.ids.items() if n > 1]
        for tag, attrs in self.all_attrs:
            for bad in ("disabled", "maxlength", "placeholder", "style", "autofocus"):
                if bad in attrs:
                    found.append(f"<{tag}> has {bad}")
            if tag == "input" and attrs.get("type") == "number":
                found.append("<input type=number>")
            found += [f"<{tag}> has {a}" for a in attrs if a.startswith("on")]
        for c in self.controls:
            if c.tag in ("input", "select", "textarea") and c.type not in ("hidden",) and c.id not in self.label_for:
                found.append(f"control {c.name!r} ({c.id}) has no <label for>")
        if self.inline_scripts:
            found.append("inline <script>")
        return found


def post_items(items: list[tuple[str, str]]) -> dict[str, Any]:
    """Form pairs as httpx `data` (repeated names become lists, in order)."""
    data: dict[str, Any] = {}
    for name, value in items:
        if name in data:
            data[name] = data[name] if isinstance(data[name], list) else [data[name]]
            data[name].append(value)
        else:
            data[name] = value
    return data
