"""The language link on a step page never drops what was typed: with JavaScript the header link posts the step
first (static/forms.js), without it the step's own 「Save and continue in English」 button does the same; either
way the same step comes back in English with every value as typed (not yet checked)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser

PROCEDURE = "sodai-gomi"
TYPED = "山田　はなこ 123"


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript-on", "javascript-off"])
def test_switching_language_on_a_step_keeps_what_was_typed(walks: Any, javascript: bool) -> None:
    context = walks.new_context(javascript=javascript)
    try:
        page = context.new_page()
        page.goto(f"{walks.base_url}/procedures/{PROCEDURE}")
        with page.expect_navigation():
            page.locator("main form button[type=submit]:not([hidden])").first.click()
        assert page.locator("html").get_attribute("lang") == "ja"
        field = page.locator("main form input[type=text]").first
        name = field.get_attribute("name")
        step_path = page.url.removeprefix(walks.base_url)
        field.fill(TYPED)
        with page.expect_navigation():
            if javascript:
                page.locator("a.site-header__lang").click()
            else:
                page.locator("button[data-language-save]").click()
        assert page.url.removeprefix(walks.base_url) == step_path, "the same step should come back"
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.locator(f'main form [name="{name}"]').input_value() == TYPED
        assert page.locator(".error-summary").count() == 0, "switching language must not check the step"
        # nothing changed since: the header link is a plain link again, and the language comes back
        with page.expect_navigation():
            page.locator("a.site-header__lang").click()
        assert page.locator("html").get_attribute("lang") == "ja"
        assert page.locator(f'main form [name="{name}"]').input_value() == TYPED
    finally:
        context.close()
