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

/* Voting without a page reload: form.vote-form[data-vote-api] (signed-in users)
   sends {value} to the JSON API (PUT, X-CSRFToken from the page's meta tag),
   then updates the score, the pressed states, what each button sends next and
   the up/down counts in place. Refusals (403: "Vote down requires 125
   reputation; ...") appear in the box's aria-live message. Without this
   script, or if fetch is missing, the form posts and the page reloads. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function messageFor(form) {
    var box = form.parentNode;
    return box ? box.querySelector(".vote-message") : null;
  }

  function say(form, text) {
    var message = messageFor(form);
    if (message) {
      message.textContent = text;
    }
  }

  function adjustCount(box, selector, sign, delta) {
    var el = box && box.querySelector(selector);
    if (!el || !delta) {
      return;
    }
    var count = Math.max(0, parseInt(el.getAttribute("data-count"), 10) + delta);
    el.setAttribute("data-count", String(count));
    var hidden = el.querySelector(".visually-hidden");
    el.textContent = "";
    if (hidden) {
      el.appendChild(hidden);
    }
    el.appendChild(document.createTextNode(sign + count));
  }

  function show(form, score, before, after) {
    var value = form.querySelector(".score-value");
    var label = form.querySelector(".score-label");
    if (value) {
      value.textContent = String(score);
    }
    if (label) {
      label.textContent = score === 1 || score === -1 ? "vote" : "votes";
    }
    var buttons = form.querySelectorAll(".vote-button");
    Array.prototype.forEach.call(buttons, function (button) {
      var direction = parseInt(button.getAttribute("data-direction"), 10);
      var pressed = after === direction;
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
      button.value = pressed ? "0" : String(direction);
      button.title =
        (direction === 1 ? "This is useful" : "This is not useful") +
        (pressed ? " (click again to undo)" : "");
    });
    var box = form.parentNode;
    adjustCount(box, ".vote-count-up", "+", (after === 1) - (before === 1));
    adjustCount(box, ".vote-count-down", "\u2212", (after === -1) - (before === -1));
  }

  function currentVote(form) {
    var pressed = form.querySelector('.vote-button[aria-pressed="true"]');
    return pressed ? parseInt(pressed.getAttribute("data-direction"), 10) : 0;
  }

  function errorText(status, data) {
    var error = data && data.error;
    if (error && error.fields && error.fields.value) {
      return error.fields.value;
    }
    if (error && error.message) {
      return error.message;
    }
    if (status === 401) {
      return "Please log in again to vote.";
    }
    return "Your vote could not be saved. Please try again.";
  }

  function vote(form, button) {
    var url = form.getAttribute("data-vote-api");
    var value = parseInt(button.value, 10);
    var before = currentVote(form);
    form.setAttribute("aria-busy", "true");
    say(form, "");
    fetch(url, {
      method: "PUT",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken()
      },
      body: JSON.stringify({ value: value })
    })
      .then(function (response) {
        return response.json().then(
          function (data) {
            return { ok: response.ok, status: response.status, data: data };
          },
          function () {
            return { ok: false, status: response.status, data: null };
          }
        );
      })
      .then(function (result) {
        if (result.ok && typeof result.data.score === "number") {
          show(form, result.data.score, before, result.data.my_vote);
        } else {
          say(form, errorText(result.status, result.data));
        }
      })
      .catch(function () {
        say(form, "Your vote could not be saved right now. Please try again.");
      })
      .then(function () {
        form.removeAttribute("aria-busy");
      });
  }

  function onSubmit(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-vote-api")) {
      return;
    }
    var button = event.submitter || form.lastVoteButton;
    if (!button || !button.classList.contains("vote-button") || !window.fetch) {
      return; // let the form post normally
    }
    event.preventDefault();
    if (form.getAttribute("aria-busy") !== "true") {
      vote(form, button);
    }
  }

  function rememberButton(event) {
    var button = event.target.closest && event.target.closest(".vote-button");
    if (button && button.form) {
      button.form.lastVoteButton = button; // browsers without event.submitter
    }
  }

  document.addEventListener("click", rememberButton, true);
  document.addEventListener("submit", onSubmit);
})();

/* Similar questions while asking: input[data-similar] names an aside with
   data-similar-url (GET /api/v1/similar). As the title is typed (debounced,
   once it has 3 words or 15 characters) up to data-similar-limit questions
   appear there with their solved state. A list stays until a new one replaces
   it; the aside sits beside the form and never stops it from posting. Without
   this script, or without fetch, the aside stays empty and hidden. */
(function () {
  "use strict";

  var SIMILAR_DELAY_MS = 300;
  var MIN_WORDS = 3;
  var MIN_CHARS = 15;

  function worthAsking(title) {
    var text = title.trim();
    return text.length >= MIN_CHARS || text.split(/\s+/).length >= MIN_WORDS;
  }

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) {
      el.className = className;
    }
    if (text) {
      el.textContent = text;
    }
    return el;
  }

  function render(box, items) {
    // Built with textContent only: titles are user text, never HTML.
    box.textContent = "";
    box.appendChild(element("h2", "similar-heading", "Similar questions"));
    box.appendChild(
      element("p", "hint", "Your question may already have an answer:")
    );
    var list = element("ul", "similar-list");
    items.forEach(function (item) {
      var li = element("li", item.is_solved ? "similar-solved" : "");
      var link = element("a", "", item.title);
      link.href = "/questions/" + encodeURIComponent(item.id);
      li.appendChild(link);
      if (item.is_solved) {
        li.appendChild(document.createTextNode(" "));
        li.appendChild(element("span", "badge badge-solved", "solved"));
      }
      var count = item.answer_count;
      li.appendChild(
        element(
          "span",
          "similar-meta",
          " " + count + (count === 1 ? " answer" : " answers")
        )
      );
      list.appendChild(li);
    });
    box.appendChild(list);
  }

  function setUp(input) {
    var box = document.getElementById(input.getAttribute("data-similar"));
    var url = box && box.getAttribute("data-similar-url");
    if (!url || !window.fetch) {
      return;
    }
    var limit = box.getAttribute("data-similar-limit") || "5";
    var timer = null;
    var latest = 0;
    var asked = "";

    function update() {
      var title = input.value.trim();
      if (!worthAsking(title) || title === asked) {
        return;
      }
      asked = title;
      var request = ++latest;
      var query = "?title=" + encodeURIComponent(title) + "&per_page=" + limit;
      fetch(url + query, {
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (data) {
          if (request !== latest || !data || !Array.isArray(data.items)) {
            return; // a newer keystroke asked again, or no answer: keep the list
          }
          if (data.items.length) {
            render(box, data.items);
          }
        })
        .catch(function () {
          asked = ""; // try again on the next keystroke
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, SIMILAR_DELAY_MS);
    });
    if (input.value) {
      update();
    }
  }

  function init() {
    var inputs = document.querySelectorAll("input[data-similar]");
    Array.prototype.forEach.call(inputs, setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
