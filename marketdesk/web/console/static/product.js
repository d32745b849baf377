// The product tab: a search by code or name, and the product card (stock by warehouse, package,
// return terms, price and markdown).
import { $, api, clear, el, errorText, kv, money } from "./common.js";

async function openProduct(code) {
  const box = $("product-card");
  delete box.dataset.productId;
  delete box.dataset.sellerId;
  clear(box, el("p", { class: "muted" }, "Загрузка…"));
  try {
    renderProduct(await api("GET", "/api/v1/products/" + code));
  } catch (e) {
    errorText(box, e);
  }
}

function block(title, ...children) {
  return el("section", { class: "block" }, el("h4", {}, title), children);
}

// a table of name → value rows
function table(attrs, rows, cellClass) {
  return el("table", { class: "table", ...attrs }, el("tbody", {}, rows.map(([name, value]) => el("tr", {}, el("th", { scope: "row" }, name), el("td", cellClass ? { class: cellClass } : {}, value)))));
}

function mainBlock(p) {
  const link = /^https:\/\//.test(p.link) ? el("a", { href: p.link, target: "_blank", rel: "noopener noreferrer" }, "Открыть") : el("span", {}, p.link);
  return block(
    "Основная информация",
    kv("Наименование", p.name),
    kv("ID товара", String(p.id)),
    kv("Серийный номер", p.serial_number),
    kv("Продавец", p.seller.name),
    kv("Категория", p.category_path),
    el("div", { class: "kv" }, el("span", { class: "k" }, "Ссылка на товар"), el("span", { class: "v" }, link)),
    kv("Схема продаж", p.sale_scheme.title),
  );
}

function attributesBlock(p) {
  const rows = p.attributes.map((a) => [a.name, a.value]);
  return block("Дополнительные данные", rows.length ? table({}, rows) : el("p", { class: "muted" }, "Нет данных."));
}

function stockBlock(p) {
  const pkg = p.package || {};
  const rows = p.stock.map((s) => [s.warehouse, String(s.quantity)]);
  return block(
    "Остатки и габариты",
    rows.length ? table({ id: "stock" }, rows, "num") : el("p", { class: "muted" }, "Нет в наличии."),
    kv("Всего", String(p.stock_total)),
    kv("Габариты упаковки, мм", pkg.length_mm ? pkg.length_mm + " X " + pkg.width_mm + " X " + pkg.height_mm : pkg.text || "—"),
    kv("Вес с упаковкой, г", pkg.weight_g ? String(pkg.weight_g) : "—"),
  );
}

function priceBlock(p) {
  const markdown = p.markdown
    ? [kv("Уценка", "балл " + p.markdown.grade + " — " + p.markdown.grade_reason), kv("Причина", p.markdown.reason || "—"), kv("Скидка за уценку", p.markdown.discount_percent + " %")]
    : null;
  return block(
    "Цена",
    kv("Цена", money(p.price, "₽")),
    kv("Скидка", money(p.discount, "₽") + (p.discount_percent ? " (" + p.discount_percent + " %)" : "")),
    kv("Цена со скидкой", money(p.price_with_discount, "₽")),
    markdown,
    p.nominals && p.nominals.length ? kv("Номиналы", p.nominals.map((n) => money(n)).join("; ")) : null,
  );
}

function renderProduct(p) {
  $("product-card").dataset.productId = String(p.id);
  // «Передать… → Продавцу товара» brings this product's seller into the conversation
  $("product-card").dataset.sellerId = String(p.seller.id);
  clear(
    $("product-card"),
    el("h3", { id: "product-name" }, p.name),
    p.special_category_title
      ? el("p", { id: "product-special", class: "special-badge", title: "Особые товары: консультация по ним может немного отличаться" }, "Особый товар: " + p.special_category_title)
      : null,
    mainBlock(p),
    attributesBlock(p),
    stockBlock(p),
    block("Сроки возврата", p.return_terms.map((r) => kv(r.title, r.value || "—"))),
    priceBlock(p),
  );
}

function resultNode(p) {
  return el(
    "button",
    { type: "button", class: "item-open result", onclick: () => openProduct(p.id) },
    el("span", { class: "item-title" }, p.name),
    el("span", { class: "item-sub" }, p.id + " · " + p.seller + " · " + money(p.price_with_discount, "₽") + " · остаток " + p.stock_total),
  );
}

// a code opens the card; a name lists what it finds (one result opens at once)
async function findProducts(q) {
  try {
    const data = await api("GET", "/api/v1/products?q=" + encodeURIComponent(q));
    clear($("product-card"));
    if (!data.products.length) {
      clear($("product-results"), el("p", { class: "muted" }, "Ничего не найдено."));
    } else if (data.products.length === 1) {
      openProduct(data.products[0].id);
    } else {
      clear($("product-results"), data.products.map(resultNode));
    }
  } catch (e) {
    errorText($("product-results"), e);
  }
}

export function wireProduct() {
  $("product-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const q = $("product-q").value.trim();
    if (!q) return;
    clear($("product-results"));
    if (/^\d{1,19}$/.test(q)) openProduct(q);
    else findProducts(q);
  });
}
