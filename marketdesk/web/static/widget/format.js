// Formatting for the account's screens: roubles and dates as a Russian customer reads them.
const RUB = new Intl.NumberFormat("ru-RU", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const MOSCOW = { timeZone: "Europe/Moscow" };

// "1649.00" → "1 649,00 ₽" (the unit may be "Б" for points)
export function formatRub(amount, unit) {
  return RUB.format(Number(amount)) + " " + (unit || "₽");
}

// "2026-12-03" or an ISO date-time → "03.12.2026" (a date-time: the Moscow day)
export function formatDate(value) {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value.split("-").reverse().join(".");
  return new Date(value).toLocaleDateString("ru-RU", MOSCOW);
}

// an ISO date-time → "03.12.2026, 14:05" (Moscow time)
export function formatMoment(value) {
  return new Date(value).toLocaleString("ru-RU", { ...MOSCOW, day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit" });
}

// a result line under a form: kind "ok" or "error"
export function note(node, text, kind) {
  node.textContent = text || "";
  node.className = "account__note" + (kind ? " account__note--" + kind : "");
  node.setAttribute("role", kind === "error" ? "alert" : "status");
}
