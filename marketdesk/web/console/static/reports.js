// The reports page (/console/reports): supervisors and admins. Filters, the overview's
// figures, one report at a time as a chart (plotly.js, served from the installed plotly
// package) and a table; every number opens the conversations behind it; CSV and XLSX.
import { $, api, clear, dateTime, el, request, saveBlob, token, toLogin } from "./common.js";

const KPIS = [
  ["conversations", "Диалогов", "all"],
  ["first_response_median_s", "Первый ответ, медиана", "first_response"],
  ["sla_attainment", "Соблюдение SLA", "attained"],
  ["bot_containment", "Доля бота", "contained"],
  ["rating_average", "Средняя оценка", "rated"],
];
const KINDS = {
  conversations: "int",
  first_response_median_s: "seconds",
  sla_attainment: "share",
  bot_containment: "share",
  rating_average: "number",
};
// what each report draws: columns, and how (bars stacked or side by side, lines)
const CHARTS = {
  volume_by_day: { columns: ["contained", "handed"], type: "bar", stack: true },
  volume_by_hour: { columns: ["contained", "handed"], type: "bar", stack: true },
  response_times: {
    columns: ["first_response_median_s", "first_response_p90_s", "resolution_median_s", "resolution_p90_s"],
    type: "line",
    minutes: true,
  },
  sla: { columns: ["sla_attainment"], type: "line", percent: true },
  containment: { columns: ["contained", "handed"], type: "bar", stack: true },
  ratings: { columns: ["count"], type: "bar" },
  operators: { columns: ["handled"], type: "bar" },
  tasks: { columns: ["created", "closed", "closed_late", "overdue"], type: "bar" },
};
const COLORS = ["#005bff", "#f28e2b", "#59a14f", "#e15759", "#76b7b2"];

let current = "volume_by_day";
let report = null;
const topicTitles = {};

// ------------------------------------------------------------------ formatting
function seconds(value) {
  if (value === null || value === undefined) return "—";
  const s = Math.round(value);
  if (s < 60) return `${s} с`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} мин ${String(s % 60).padStart(2, "0")} с`;
  const h = Math.floor(m / 60);
  return `${h} ч ${String(m % 60).padStart(2, "0")} мин`;
}

function shown(value, kind) {
  if (value === null || value === undefined) return "—";
  if (kind === "share") return (value * 100).toLocaleString("ru-RU", { maximumFractionDigits: 1 }) + " %";
  if (kind === "seconds") return seconds(value);
  if (kind === "number") return value.toLocaleString("ru-RU", { maximumFractionDigits: 2 });
  if (kind === "int") return String(value);
  return String(value);
}

function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

// ------------------------------------------------------------------ filters
function filters() {
  const params = new URLSearchParams();
  for (const [name, id] of [["from", "f-from"], ["to", "f-to"], ["line", "f-line"], ["channel", "f-channel"], ["operator", "f-operator"], ["topic", "f-topic"]]) {
    const value = $(id).value.trim();
    if (value) params.set(name, value);
  }
  return params;
}

function defaultPeriod() {
  const to = new Date();
  const from = new Date(to.getTime() - 29 * 86400000);
  $("f-from").value = isoDay(from);
  $("f-to").value = isoDay(to);
}

async function fillOperators() {
  try {
    const list = await api("GET", "/api/v1/operators");
    for (const op of list.operators) $("f-operator").append(el("option", { value: String(op.id) }, op.name || op.login));
  } catch (e) {
    /* the filter stays at «все» */
  }
}

async function fillTopics() {
  try {
    const titles = (await api("GET", "/api/v1/hints/topics")).topics;
    Object.assign(topicTitles, titles);
    for (const [slug, title] of Object.entries(titles)) $("f-topic").append(el("option", { value: slug }, title));
  } catch (e) {
    /* slugs only */
  }
}

// ------------------------------------------------------------------ drill
function drillButton(text, name, metric, key, title) {
  if (!metric) return el("span", {}, text);
  const button = el("button", { type: "button", class: "num", title: "Показать диалоги" }, text);
  button.addEventListener("click", () => drill(name, metric, key, title));
  return button;
}

function drillItem(item) {
  if (item.number) {
    return el("li", {}, el("strong", {}, item.number), " · ", item.title, el("div", { class: "muted small" }, item.queue + " · " + item.status));
  }
  const topic = item.topic ? topicTitles[item.topic] || item.topic : "без темы";
  return el(
    "li",
    {},
    el("a", { href: item.url, target: "_blank", rel: "noopener" }, `Диалог №${item.id}`),
    " · ",
    dateTime(item.created_at),
    el("div", { class: "muted small" }, `${topic} · ${item.line} · ${item.channel}` + (item.rating ? ` · оценка ${item.rating}` : "")),
  );
}

async function drill(name, metric, key, title) {
  const params = filters();
  params.set("metric", metric);
  if (key !== undefined && key !== null) params.set("key", String(key));
  else if (name !== "overview" && key === null) params.set("key", "");
  $("drill").hidden = false;
  $("drill-title").textContent = title;
  $("drill-total").textContent = "Загрузка…";
  clear($("drill-list"));
  try {
    const found = await api("GET", `/api/v1/reports/${name}/conversations?` + params);
    const items = found.conversations || found.tasks || [];
    $("drill-total").textContent = found.total > items.length ? `Показаны ${items.length} из ${found.total}` : `Всего: ${found.total}`;
    clear($("drill-list"), items.map(drillItem));
  } catch (e) {
    $("drill-total").textContent = e.message;
  }
}

// ------------------------------------------------------------------ overview
async function loadOverview() {
  const box = $("overview");
  try {
    const overview = await api("GET", "/api/v1/reports/overview?" + filters());
    clear(
      box,
      KPIS.map(([key, title, metric]) =>
        el(
          "div",
          { class: "kpi", "data-kpi": key },
          el("div", { class: "kpi-title" }, title),
          el("div", { class: "kpi-value", "data-value": overview[key] === null ? "" : String(overview[key]) }, drillButton(shown(overview[key], KINDS[key]), "overview", metric, undefined, title)),
        ),
      ),
    );
  } catch (e) {
    clear(box, el("p", { class: "muted" }, e.message));
  }
}

// ------------------------------------------------------------------ one report
function label(row) {
  if (report.name === "containment" && row.key) return topicTitles[row.key] || row.label;
  return row.label;
}

function drawChart() {
  const chart = $("chart");
  const spec = CHARTS[report.name];
  if (!spec || !window.Plotly || !report.rows.length) {
    chart.hidden = true;
    return;
  }
  chart.hidden = false;
  const columns = report.columns.filter((c) => spec.columns.includes(c.key));
  const x = report.rows.map(label);
  const traces = columns.map((column, i) => ({
    x,
    y: report.rows.map((row) => {
      const v = row[column.key];
      if (v === null || v === undefined) return null;
      if (spec.minutes) return Math.round((v / 60) * 10) / 10;
      if (spec.percent) return Math.round(v * 1000) / 10;
      return v;
    }),
    name: column.title.replace(" (с)", ""),
    type: spec.type === "line" ? "scatter" : "bar",
    mode: spec.type === "line" ? "lines+markers" : undefined,
    marker: { color: COLORS[i % COLORS.length] },
    customdata: report.rows.map((row) => [row.key, column.drill, column.title]),
  }));
  const layout = {
    barmode: spec.stack ? "stack" : "group",
    margin: { l: 50, r: 10, t: 30, b: 60 },
    height: 280,
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
    hovermode: "closest",
    yaxis: { title: { text: spec.minutes ? "минуты" : spec.percent ? "%" : "" }, rangemode: "tozero" },
    xaxis: { type: "category", automargin: true },
    font: { family: "system-ui, sans-serif", size: 12 },
  };
  window.Plotly.react(chart, traces, layout, { displayModeBar: false, responsive: true });
  chart.removeAllListeners?.("plotly_click");
  chart.on?.("plotly_click", (event) => {
    const point = event.points && event.points[0];
    if (!point || !point.customdata) return;
    const [key, metric, title] = point.customdata;
    if (metric) drill(report.name, metric, key, `${title}: ${point.x}`);
  });
}

function renderTable() {
  const columns = report.columns;
  // seconds are shown as minutes and hours on the page (the downloads keep seconds)
  clear($("report-head"), el("tr", {}, ...columns.map((c) => el("th", {}, (c.title || "").replace(" (с)", "")))));
  const rows = report.rows.map((row) =>
    el(
      "tr",
      {},
      ...columns.map((c) => {
        if (c.key === "label") return el("td", {}, label(row));
        const value = row[c.key];
        const text = c.key === "rated_at" ? dateTime(value) : shown(value, c.kind);
        const cell = el("td", { class: c.kind === "text" ? "text" : "", "data-col": c.key, "data-value": value === null || value === undefined ? "" : String(value) });
        cell.append(value === null || value === undefined || value === 0 ? text : drillButton(text, report.name, c.drill, row.key, `${c.title}: ${label(row)}`));
        return cell;
      }),
    ),
  );
  clear($("report-rows"), rows);
}

function renderComments() {
  const box = $("comments");
  if (!report.comments || !report.comments.length) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  const average = report.rating_average === null ? "—" : shown(report.rating_average, "number");
  clear(
    box,
    el("strong", {}, `Средняя оценка: ${average} (оценок: ${report.rated}). Последние комментарии:`),
    el(
      "ul",
      {},
      ...report.comments.map((c) =>
        el("li", {}, `${c.rating} — «${c.comment}» `, drillButton(`диалог №${c.conversation_id}`, "rating_comments", "conversation", c.conversation_id, "Комментарий")),
      ),
    ),
  );
}

async function loadReport() {
  $("reports-status").textContent = "Загрузка…";
  for (const button of $("report-tabs").querySelectorAll("button")) button.setAttribute("aria-pressed", String(button.dataset.report === current));
  try {
    report = await api("GET", `/api/v1/reports/${current}?` + filters());
    $("report-title").textContent = `${report.title}: ${report.from.split("-").reverse().join(".")} — ${report.to.split("-").reverse().join(".")}`;
    $("reports-status").textContent = report.rows.length ? "" : "За период ничего нет.";
    drawChart();
    renderTable();
    renderComments();
    document.body.dataset.report = report.name;
  } catch (e) {
    report = null;
    $("reports-status").textContent = e.message;
  }
}

async function download(format) {
  $("reports-status").textContent = "Готовим файл…";
  try {
    const params = filters();
    params.set("format", format);
    const response = await request("GET", `/api/v1/reports/${current}?` + params);
    const name = `${current}_${params.get("from") || ""}_${params.get("to") || ""}.${format}`;
    saveBlob(await response.blob(), name);
    $("reports-status").textContent = `Файл сохранён (${name}).`;
  } catch (e) {
    $("reports-status").textContent = e.message;
  }
}

async function loadTabs() {
  const catalogue = (await api("GET", "/api/v1/reports")).reports;
  const buttons = catalogue
    .filter((r) => r.name !== "overview")
    .map((r) => {
      const button = el("button", { type: "button", "data-report": r.name }, r.title);
      button.addEventListener("click", () => {
        current = r.name;
        $("drill").hidden = true;
        loadReport();
      });
      return button;
    });
  clear($("report-tabs"), buttons);
}

async function refresh() {
  await Promise.all([loadOverview(), loadReport()]);
  document.body.dataset.ready = "1";
}

async function start() {
  defaultPeriod();
  try {
    await loadTabs();
  } catch (e) {
    $("reports-status").textContent = e.message;
    document.body.dataset.ready = "1";
    return;
  }
  await Promise.all([fillOperators(), fillTopics()]);
  await refresh();
}

if (!token()) {
  toLogin();
} else {
  $("reports-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    refresh();
  });
  $("download-csv").addEventListener("click", () => download("csv"));
  $("download-xlsx").addEventListener("click", () => download("xlsx"));
  $("drill-close").addEventListener("click", () => {
    $("drill").hidden = true;
  });
  start();
}
