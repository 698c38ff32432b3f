/* Progressive enhancement only: every page works without this file.
   - moves focus to the element named by <body data-focus> (the error summary after a failed submit,
     a notice, or the first field of an item just added);
   - an error summary link focuses its field and scrolls its label or legend into view;
   - arriving from a 「変更」 link (#field-id), focuses that question's first control;
   - the back link and the language link of a step post the step first when something was changed on it,
     so nothing typed is lost (without JavaScript the back link goes back, and what was saved before stays;
     the step's own 「Save and continue in English」 button saves and switches);
   - on 「署名の手順」, tells in its status region when the signature has arrived (polling, see pollSigning). */
(function () {
  "use strict";

  function focusOnLoad() {
    var id = document.body.getAttribute("data-focus");
    var target = id ? document.getElementById(id) : null;
    if (target) {
      target.focus();
      return;
    }
    focusHash();
  }

  function firstControl(element) {
    if (element.matches("input, select, textarea")) {
      return element;
    }
    return element.querySelector("input:not([type=hidden]), select, textarea");
  }

  function focusHash() {
    if (!location.hash) {
      return;
    }
    var element = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    var control = element ? firstControl(element) : null;
    if (control) {
      labelFor(control).scrollIntoView();
      control.focus({ preventScroll: true });
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

  /* A link that leaves a step page (back, or the language link in the header) posts the step first, with
     `action`, when something was changed on it: the server saves what was typed, then goes where the link
     would have gone. */
  function postStepBefore(link, form, action) {
    var changed = false;
    form.addEventListener("input", function () { changed = true; });
    form.addEventListener("change", function () { changed = true; });
    link.addEventListener("click", function (event) {
      if (!changed) {
        return;
      }
      event.preventDefault();
      var verb = document.createElement("input");
      verb.type = "hidden";
      verb.name = "_action";
      verb.value = action;
      form.appendChild(verb);
      form.submit();
    });
  }

  function watchLinksLeavingTheStep() {
    var form = document.querySelector("main form[method=post]");
    var back = document.querySelector("a[data-back]");
    var language = document.querySelector("a.site-header__lang");
    var languageSave = form ? form.querySelector("button[data-language-save]") : null;
    if (form && back) {
      postStepBefore(back, form, "back");
    }
    if (language && languageSave) {
      postStepBefore(language, form, languageSave.value);
    }
  }

  /* 「署名の手順」: ask politely whether the card client has signed (every 5 seconds while the page is shown,
     for at most 6 minutes) and say so in the status region; the page never reloads or moves by itself:
     the resident presses 「署名の状態を確認する」 (which is also all there is without JavaScript). */
  function pollSigning() {
    var region = document.querySelector("[data-poll]");
    if (!region || !window.fetch) {
      return;
    }
    var url = region.getAttribute("data-poll");
    var tries = 0;
    function later(ms) {
      if (tries < 72) {
        window.setTimeout(tick, ms);
      }
    }
    function tick() {
      if (document.hidden) {
        document.addEventListener("visibilitychange", tick, { once: true });
        return;
      }
      tries += 1;
      fetch(url, { headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (!body || body.status === "pending") {
            later(5000);
          } else {
            region.textContent = region.getAttribute(body.status === "expired" ? "data-lapsed" : "data-arrived");
          }
        })
        .catch(function () { later(10000); });
    }
    later(5000);
  }

  function init() {
    focusOnLoad();
    pollSigning();
    var summary = document.querySelector(".error-summary");
    if (summary) {
      summary.addEventListener("click", onSummaryClick);
    }
    watchLinksLeavingTheStep();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
