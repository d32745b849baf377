// The structure part of «Управление» (/console/people): the lines' hours, the queues'
// deadlines and the business-hours calendar (Russia's public holidays and the exceptions).
import { $, api, clear, date, el } from "./common.js";
import { act, page, say } from "./people.js";

const WEEKDAYS = ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"];

// ------------------------------------------------------------------ lines
function lineRow(line) {
  const opens = el("input", { type: "time", value: line.opens, "aria-label": "С", disabled: !page.admin });
  const closes = el("input", { type: "time", value: line.closes, "aria-label": "До", disabled: !page.admin });
  const days = WEEKDAYS.map((title, n) =>
    el(
      "label",
      { class: "check" },
      el("input", { type: "checkbox", value: String(n), checked: line.workdays.includes(n), disabled: !page.admin }),
      title,
    ),
  );
  const save = page.admin
    ? el(
        "button",
        {
          type: "button",
          onclick: () =>
            act(async () => {
              const workdays = days.map((d) => d.querySelector("input")).filter((i) => i.checked).map((i) => Number(i.value));
              await api("PUT", `/api/v1/lines/${line.line}`, { opens: opens.value, closes: closes.value, workdays });
            }, `Часы линии «${line.title}» сохранены.`),
        },
        "Сохранить",
      )
    : null;
  return el("tr", { dataset: { line: line.line } }, el("td", {}, line.title), el("td", {}, opens), el("td", {}, closes), el("td", { class: "checks" }, days), el("td", {}, save));
}

async function loadLines() {
  const data = await api("GET", "/api/v1/lines");
  clear($("line-rows"), data.lines.map(lineRow));
}

// ------------------------------------------------------------------ queues
function hours(minutes) {
  return String(Math.round((minutes / 60) * 100) / 100);
}

function queueRow(queue) {
  const deadline = el("input", { type: "number", min: "0.25", step: "0.25", value: hours(queue.deadline_minutes), "aria-label": "Срок, часов", disabled: !page.admin });
  const business = el("input", { type: "checkbox", checked: queue.business_hours, disabled: !page.admin });
  const save = page.admin
    ? el(
        "button",
        {
          type: "button",
          onclick: () =>
            act(async () => {
              const minutes = Math.round(Number(deadline.value) * 60);
              await api("PUT", "/api/v1/queues/deadline", { queue: queue.queue, deadline_minutes: minutes, business_hours: business.checked });
            }, `Срок очереди «${queue.title}» сохранён.`),
        },
        "Сохранить",
      )
    : null;
  return el(
    "tr",
    {},
    el("td", {}, queue.title, el("div", { class: "muted small" }, queue.queue)),
    el("td", {}, deadline),
    el("td", {}, el("label", { class: "check" }, business, " в рабочем времени")),
    el("td", { class: "muted small" }, `${hours(queue.default_minutes)} ч, ${queue.default_business_hours ? "рабочее время" : "круглосуточно"}`),
    el("td", {}, save),
  );
}

async function loadQueues() {
  const data = await api("GET", "/api/v1/queues");
  clear($("queue-rows"), data.queues.map(queueRow));
}

// ------------------------------------------------------------------ calendar
function weekday(iso) {
  const d = new Date(iso + "T12:00:00");
  return WEEKDAYS[(d.getDay() + 6) % 7];
}

function dayRow(day) {
  const remove =
    page.admin && day.source === "admin"
      ? el(
          "button",
          {
            type: "button",
            class: "link",
            onclick: () =>
              act(async () => {
                await api("DELETE", `/api/v1/calendar/${day.date}`);
                await loadCalendar();
              }, "Исключение удалено."),
          },
          "Удалить",
        )
      : null;
  return el(
    "tr",
    { class: day.kind, dataset: { date: day.date } },
    el("td", { class: "nowrap" }, date(day.date + "T12:00:00")),
    el("td", {}, weekday(day.date)),
    el("td", {}, day.kind_title),
    el("td", {}, day.title),
    el("td", {}, day.source === "admin" ? "исключение" : "календарь РФ"),
    el("td", {}, remove),
  );
}

async function loadCalendar() {
  const year = $("c-year").value;
  const data = await api("GET", "/api/v1/calendar" + (year ? "?year=" + encodeURIComponent(year) : ""));
  $("c-year").value = String(data.year);
  clear($("calendar-rows"), data.days.map(dayRow));
}

export async function loadStructure() {
  await Promise.all([loadLines(), loadQueues(), loadCalendar()]);
}

export function wireStructure() {
  $("c-year").addEventListener("change", () => act(loadCalendar));
  $("calendar-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const day = $("c-day").value;
    if (!day) {
      say("Выберите дату.", true);
      return;
    }
    act(async () => {
      await api("PUT", `/api/v1/calendar/${day}`, { kind: $("c-kind").value, title: $("c-title").value.trim() });
      $("c-year").value = day.slice(0, 4);
      await loadCalendar();
    }, "Исключение сохранено.");
  });
}
