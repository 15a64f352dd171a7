/* Copy buttons: <button data-copy="FIELD-ID" data-status="STATUS-ID" data-copied="…" data-failed="…">
   copies the field's text and says so in the status element. A file, not inline script: the
   Content Security Policy allows scripts from this site only. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) {
      return;
    }
    var field = document.getElementById(button.dataset.copy);
    var status = document.getElementById(button.dataset.status);
    var say = function (text) {
      if (status) {
        status.textContent = text;
      }
    };
    if (!field) {
      return;
    }
    field.focus();
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(
        function () { say(button.dataset.copied); },
        function () { say(button.dataset.failed); }
      );
    } else {
      say(document.execCommand("copy") ? button.dataset.copied : button.dataset.failed);
    }
  });
}());
