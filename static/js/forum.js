/* forum: progressive enhancement only. Every action also works without this
   file: forms post normally and the server renders everything.
   - textarea[data-preview]: live Markdown preview (debounced POST to
     data-preview-url, with the CSRF token from <meta name="csrf-token">).
   - form[data-confirm]: ask before submitting (delete buttons). */
(function () {
  "use strict";

  var PREVIEW_DELAY_MS = 400;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function showMessage(box, text) {
    box.textContent = "";
    var p = document.createElement("p");
    p.className = "preview-error";
    p.textContent = text;
    box.appendChild(p);
  }

  function setUpPreview(area) {
    var box = document.getElementById(area.getAttribute("data-preview"));
    var url = area.getAttribute("data-preview-url");
    if (!box || !url || !window.fetch) {
      return;
    }
    var timer = null;
    var latest = 0;

    function update() {
      var request = ++latest;
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrfToken()
        },
        body: JSON.stringify({ body: area.value })
      })
        .then(function (response) {
          return response.json().then(function (data) {
            return { ok: response.ok, data: data };
          });
        })
        .then(function (result) {
          if (request !== latest) {
            return; // a newer keystroke already asked again
          }
          if (result.ok && typeof result.data.html === "string") {
            // The server renders with the same sanitiser as stored posts.
            box.innerHTML = result.data.html;
          } else {
            var error = result.data && result.data.error;
            showMessage(box, (error && error.message) || "Preview unavailable.");
          }
        })
        .catch(function () {
          if (request === latest) {
            showMessage(box, "Preview unavailable right now.");
          }
        });
    }

    area.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, PREVIEW_DELAY_MS);
    });
    box.hidden = false;
    if (area.value) {
      update();
    }
  }

  function confirmSubmit(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) {
      return;
    }
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }

  function init() {
    var areas = document.querySelectorAll("textarea[data-preview]");
    Array.prototype.forEach.call(areas, setUpPreview);
    document.addEventListener("submit", confirmSubmit);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
