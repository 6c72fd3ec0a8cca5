// The console's only script: progressive touches, every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Ask before destructive actions (revoking a key, removing a supervisor or a help line).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
  // A "Copy" button for a secret shown once.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var target = document.getElementById(button.dataset.copy);
    if (!target || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(target.textContent.trim()).then(function () {
        button.textContent = button.dataset.copied || button.textContent;
      });
    });
  });
  // After a failed submit, move focus to the summary of what needs correcting.
  var summary = document.querySelector("[data-autofocus]");
  if (summary) { summary.focus(); }
});
