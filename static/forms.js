/* Progressive enhancement only: every page works without this file.
   - moves focus to the element named by <body data-focus> (the error summary after a failed submit,
     a notice, or the first field of an item just added);
   - an error summary link focuses its field and scrolls its label or legend into view. */
(function () {
  "use strict";

  function focusOnLoad() {
    var id = document.body.getAttribute("data-focus");
    var target = id ? document.getElementById(id) : null;
    if (target) {
      target.focus();
    }
  }

  function labelFor(input) {
    var fieldset = input.closest("fieldset");
    if (fieldset && input.type !== "text" && input.tagName !== "TEXTAREA") {
      return fieldset.querySelector("legend");
    }
    return document.querySelector("label[for='" + input.id + "']") || input;
  }

  function onSummaryClick(event) {
    var link = event.target.closest("a");
    if (!link || !link.hash) {
      return;
    }
    var input = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!input) {
      return;
    }
    event.preventDefault();
    labelFor(input).scrollIntoView();
    input.focus({ preventScroll: true });
  }

  function init() {
    focusOnLoad();
    var summary = document.querySelector(".error-summary");
    if (summary) {
      summary.addEventListener("click", onSummaryClick);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
