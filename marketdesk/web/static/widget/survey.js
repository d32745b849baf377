// «Оценка сервиса» in the widget: after the operator resolves the question the panel asks
// for 1–5 stars and an optional comment; it is sent once (POST …/rating with {rating,
// comment}), then the panel thanks the customer and does not ask again. The panel shows
// while the conversation is resolved (or closed) and not rated (surveyHidden).
import { $ } from "/static/shared/helpers.js";

let chosen = 0;
let thanked = null; // the conversation rated on this page: its thanks stay in view

// whether the panel is hidden for the conversation's view: it asks while the conversation is
// resolved (or closed) and not rated; once rated, only the page that rated it thanks
export function surveyHidden(view) {
  if (view.rating) return thanked !== view.id;
  return !(view.status === "resolved" || view.status === "closed");
}

function stars() {
  return Array.from($("rating").querySelectorAll(".star"));
}

function choose(rating) {
  chosen = rating;
  for (const star of stars()) {
    const on = Number(star.dataset.rating) <= rating;
    star.classList.toggle("star--on", on);
    star.setAttribute("aria-checked", String(Number(star.dataset.rating) === rating));
  }
  $("rating-form").hidden = false;
  $("rating-note").textContent = "Ваша оценка: " + rating + " из 5. Можно добавить комментарий.";
}

// a new conversation: nothing chosen, the form closed
export function resetSurvey() {
  chosen = 0;
  thanked = null;
  for (const star of stars()) {
    star.classList.remove("star--on");
    star.setAttribute("aria-checked", "false");
    star.disabled = false;
  }
  $("rating-comment").value = "";
  $("rating-form").hidden = true;
  $("rating-note").textContent = "";
}

// send(body) → the conversation's view (a promise); onRated(view) renders it; showError(text)
export function wireSurvey({ send, onRated, showError }) {
  $("rating").addEventListener("click", (event) => {
    const star = event.target.closest(".star");
    if (star && !star.disabled) choose(Number(star.dataset.rating));
  });
  $("rating-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (!chosen) return;
    const body = { rating: chosen };
    const comment = $("rating-comment").value.trim();
    if (comment) body.comment = comment;
    const button = $("rating-send");
    button.disabled = true;
    send(body)
      .then((view) => {
        thanked = view.id;
        onRated(view);
        $("rating-form").hidden = true;
        for (const star of stars()) star.disabled = true;
        $("rating-note").textContent = "Спасибо за оценку!";
      })
      .catch((error) => showError(error.message))
      .finally(() => {
        button.disabled = false;
      });
  });
}
