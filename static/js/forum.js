/* forum: progressive enhancement, one ES module (<script type="module"> in
   base.html). Every action also works without it: forms post normally and the
   server renders every page. Browsers too old for modules skip this file and
   get the plain forms.

   The page supplies what the script needs: every URL (a data-* attribute
   rendered with url_for; the script never builds a path) and the CSRF token
   (<meta name="csrf-token">, present for signed-in users).

   1. Shared helpers: the CSRF token, one JSON request, error messages
   2. Confirmations: form[data-confirm]
   3. Markdown preview: textarea[data-preview]
   4. Voting in place: form.vote-form[data-vote-api]
   5. Similar questions while asking: input[data-similar] */

/* ---- 1. Shared helpers ---------------------------------------------------- */

/** The CSRF token the page was rendered with ("" for visitors). */
function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute("content") : "";
}

/** Send a JSON request to a URL taken from the page.
    Resolves to {ok, status, data}: data is the parsed reply, or null when the
    reply is not JSON (a proxy's error page, say). Rejects only when the
    network fails. A body is sent as JSON with the CSRF token. */
async function requestJson(url, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    headers["X-CSRFToken"] = csrfToken();
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  let data = null;
  try {
    data = await response.json();
  } catch {
    // Not JSON: callers fall back to their own message.
  }
  return { ok: response.ok, status: response.status, data };
}

/** What to tell the person after a refused request, like the error pages do:
    a 422's fields say what to fix, otherwise the server's message, otherwise
    the caller's fallback. */
function errorMessage(result, fallback) {
  const error = result.data && result.data.error;
  if (!error) {
    return fallback;
  }
  if (result.status === 422 && error.fields) {
    return Object.values(error.fields).join(" ");
  }
  return error.message || fallback;
}

/** Call fn once the person has paused for delay milliseconds. */
function debounce(fn, delay) {
  let timer = null;
  return () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(fn, delay);
  };
}

/** A URL for one item from a url_for() pattern rendered with id 0
    (e.g. data-question-url="/questions/0"): the id replaces that last 0. */
function urlForId(pattern, id) {
  const url = new URL(pattern, document.baseURI);
  url.pathname = url.pathname.replace(/\/0$/, "/" + encodeURIComponent(id));
  return url.href;
}

/** An element with an optional class and text (text only, never HTML). */
function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) {
    el.className = className;
  }
  if (text) {
    el.textContent = text;
  }
  return el;
}

/* ---- 2. Confirmations ----------------------------------------------------- */

/* form[data-confirm] (delete buttons) asks before it submits. */

function confirmSubmit(event) {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) {
    return;
  }
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
}

/* ---- 3. Markdown preview -------------------------------------------------- */

/* textarea[data-preview] names the preview box; data-preview-url renders a
   draft with the same sanitiser as stored posts (POST {body} -> {html}). */

const PREVIEW_DELAY_MS = 400;

function showPreviewError(box, text) {
  box.textContent = "";
  box.appendChild(element("p", "preview-error", text));
}

function setUpPreview(area) {
  const box = document.getElementById(area.getAttribute("data-preview"));
  const url = area.getAttribute("data-preview-url");
  if (!box || !url) {
    return;
  }
  let latest = 0;

  async function update() {
    const request = ++latest;
    let result;
    try {
      result = await requestJson(url, { method: "POST", body: { body: area.value } });
    } catch {
      result = null;
    }
    if (request !== latest) {
      return; // a newer keystroke already asked again
    }
    if (!result) {
      showPreviewError(box, "Preview unavailable right now.");
    } else if (result.ok && result.data && typeof result.data.html === "string") {
      // The server sanitised this HTML exactly as it does for stored posts.
      box.innerHTML = result.data.html;
    } else {
      showPreviewError(box, errorMessage(result, "Preview unavailable."));
    }
  }

  area.addEventListener("input", debounce(update, PREVIEW_DELAY_MS));
  box.hidden = false;
  if (area.value) {
    update();
  }
}

/* ---- 4. Voting in place --------------------------------------------------- */

/* form.vote-form[data-vote-api] (signed-in users) sends {value} to the JSON
   API (PUT), then updates the score, the pressed states, what each button
   sends next and the up/down counts in place. Refusals ("Vote down requires
   125 reputation; ...") appear in the box's aria-live message. */

// The button that submitted each form, for browsers without event.submitter.
const lastVoteButton = new WeakMap();

function voteMessage(form, text) {
  const message = form.parentNode && form.parentNode.querySelector(".vote-message");
  if (message) {
    message.textContent = text;
  }
}

function adjustCount(box, selector, sign, delta) {
  const el = box && box.querySelector(selector);
  if (!el || !delta) {
    return;
  }
  const count = Math.max(0, parseInt(el.getAttribute("data-count"), 10) + delta);
  el.setAttribute("data-count", String(count));
  const hidden = el.querySelector(".visually-hidden");
  el.textContent = "";
  if (hidden) {
    el.appendChild(hidden);
  }
  el.appendChild(document.createTextNode(sign + count));
}

function showVote(form, score, before, after) {
  const value = form.querySelector(".score-value");
  const label = form.querySelector(".score-label");
  if (value) {
    value.textContent = String(score);
  }
  if (label) {
    label.textContent = score === 1 || score === -1 ? "vote" : "votes";
  }
  for (const button of form.querySelectorAll(".vote-button")) {
    const direction = parseInt(button.getAttribute("data-direction"), 10);
    const pressed = after === direction;
    button.setAttribute("aria-pressed", pressed ? "true" : "false");
    button.value = pressed ? "0" : String(direction);
    button.title =
      (direction === 1 ? "This is useful" : "This is not useful") +
      (pressed ? " (click again to undo)" : "");
  }
  const box = form.parentNode;
  adjustCount(box, ".vote-count-up", "+", (after === 1) - (before === 1));
  adjustCount(box, ".vote-count-down", "\u2212", (after === -1) - (before === -1));
}

function currentVote(form) {
  const pressed = form.querySelector('.vote-button[aria-pressed="true"]');
  return pressed ? parseInt(pressed.getAttribute("data-direction"), 10) : 0;
}

async function vote(form, button) {
  const before = currentVote(form);
  form.setAttribute("aria-busy", "true");
  voteMessage(form, "");
  try {
    const result = await requestJson(form.getAttribute("data-vote-api"), {
      method: "PUT",
      body: { value: parseInt(button.value, 10) },
    });
    if (result.ok && result.data && typeof result.data.score === "number") {
      showVote(form, result.data.score, before, result.data.my_vote);
    } else {
      const fallback =
        result.status === 401
          ? "Please log in again to vote."
          : "Your vote could not be saved. Please try again.";
      voteMessage(form, errorMessage(result, fallback));
    }
  } catch {
    voteMessage(form, "Your vote could not be saved right now. Please try again.");
  } finally {
    form.removeAttribute("aria-busy");
  }
}

function submitVote(event) {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-vote-api")) {
    return;
  }
  const button = event.submitter || lastVoteButton.get(form);
  if (!button || !button.classList.contains("vote-button")) {
    return; // let the form post normally
  }
  event.preventDefault();
  if (form.getAttribute("aria-busy") !== "true") {
    vote(form, button);
  }
}

function rememberVoteButton(event) {
  const button = event.target.closest && event.target.closest(".vote-button");
  if (button && button.form) {
    lastVoteButton.set(button.form, button);
  }
}

/* ---- 5. Similar questions while asking ------------------------------------ */

/* input[data-similar] names an aside with data-similar-url (the similar
   questions API), data-similar-limit and data-question-url (a question's page
   for id 0). As the title is typed (once it has 3 words or 15 characters) the
   questions appear there with their solved state; once the body is written,
   its first words are sent too (the form's textarea[name=body]). A list stays until a new
   one replaces it; the aside sits beside the form and never stops it from
   posting. Without this script the aside stays empty and hidden. */

const SIMILAR_DELAY_MS = 300;
const SIMILAR_MIN_WORDS = 3;
const SIMILAR_MIN_CHARS = 15;
// The start of the body says what the problem is; the server reads no more.
const SIMILAR_BODY_WORDS = 60;

function bodyStart(textarea) {
  if (!textarea) {
    return "";
  }
  return textarea.value.trim().split(/\s+/).slice(0, SIMILAR_BODY_WORDS).join(" ");
}

function worthAsking(title) {
  const words = title.split(/\s+/).length;
  return title.length >= SIMILAR_MIN_CHARS || words >= SIMILAR_MIN_WORDS;
}

function similarItem(item, questionUrl) {
  const li = element("li", item.is_solved ? "similar-solved" : "");
  const link = element("a", "", item.title);
  link.href = urlForId(questionUrl, item.id);
  li.appendChild(link);
  if (item.is_solved) {
    li.appendChild(document.createTextNode(" "));
    li.appendChild(element("span", "badge badge-solved", "solved"));
  }
  const count = item.answer_count;
  const answers = " " + count + (count === 1 ? " answer" : " answers");
  li.appendChild(element("span", "similar-meta", answers));
  return li;
}

function showSimilar(box, items) {
  // Built with textContent only: titles are user text, never HTML.
  const questionUrl = box.getAttribute("data-question-url");
  const list = element("ul", "similar-list");
  for (const item of items) {
    list.appendChild(similarItem(item, questionUrl));
  }
  box.textContent = "";
  box.append(
    element("h2", "similar-heading", "Similar questions"),
    element("p", "hint", "Your question may already have an answer:"),
    list
  );
}

function setUpSimilar(input) {
  const box = document.getElementById(input.getAttribute("data-similar"));
  const url = box && box.getAttribute("data-similar-url");
  if (!url || !box.hasAttribute("data-question-url")) {
    return;
  }
  const limit = box.getAttribute("data-similar-limit") || "5";
  const bodyInput = input.form && input.form.querySelector("textarea[name=body]");
  let latest = 0;
  let asked = "";

  async function update() {
    const title = input.value.trim();
    const body = bodyStart(bodyInput);
    const draft = title + "\n" + body;
    if (!worthAsking(title) || draft === asked) {
      return;
    }
    asked = draft;
    const request = ++latest;
    const query = new URL(url, document.baseURI);
    query.searchParams.set("title", title);
    if (body) {
      query.searchParams.set("body", body);
    }
    query.searchParams.set("per_page", limit);
    let result;
    try {
      result = await requestJson(query.href);
    } catch {
      asked = ""; // try again on the next keystroke
      return;
    }
    const items = result.ok && result.data && result.data.items;
    if (request !== latest || !Array.isArray(items)) {
      return; // a newer keystroke asked again, or no answer: keep the list
    }
    if (items.length) {
      showSimilar(box, items);
    }
  }

  const later = debounce(update, SIMILAR_DELAY_MS);
  input.addEventListener("input", later);
  if (bodyInput) {
    bodyInput.addEventListener("input", later);
  }
  if (input.value) {
    update();
  }
}

/* ---- Start ---------------------------------------------------------------- */

// A module runs once the document is parsed, so the page is all there.
document.addEventListener("submit", confirmSubmit);
document.addEventListener("click", rememberVoteButton, true);
document.addEventListener("submit", submitVote);
document.querySelectorAll("textarea[data-preview]").forEach(setUpPreview);
document.querySelectorAll("input[data-similar]").forEach(setUpSimilar);
