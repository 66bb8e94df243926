// Progressive enhancement for the request form. Everything works without this file.
(function () {
  "use strict";

  // Show "Content references" only when a complaint type is chosen. Without JavaScript the
  // field is always shown; a disabled field is not sent, so hidden text never goes along.
  function syncComplaintFields() {
    var chosen = document.querySelector('input[name="type"]:checked');
    var complaint = !!(chosen && chosen.hasAttribute("data-complaint"));
    document.querySelectorAll("[data-complaint-only]").forEach(function (box) {
      box.hidden = !complaint;
      box.querySelectorAll("textarea, input").forEach(function (el) { el.disabled = !complaint; });
    });
  }

  function copyToken(button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    var status = button.parentNode.querySelector(".copy-status");
    if (!target || !navigator.clipboard) { return; }
    navigator.clipboard.writeText(target.textContent.trim()).then(function () {
      if (status) { status.textContent = button.getAttribute("data-copied-text"); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var types = document.querySelectorAll('input[name="type"]');
    if (types.length) {
      types.forEach(function (radio) { radio.addEventListener("change", syncComplaintFields); });
      syncComplaintFields();
    }
    document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
      if (navigator.clipboard) { button.hidden = false; }
      button.addEventListener("click", function () { copyToken(button); });
    });
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  });
})();
