// streammesh web UI: small enhancements only; every page works without JavaScript.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Comparing schema versions: show the diff as soon as a version is picked.
  for (const form of document.querySelectorAll("form.diff-form")) {
    for (const select of form.querySelectorAll("select")) {
      select.addEventListener("change", () => form.requestSubmit());
    }
  }
});
