"""The marketplace's records as the sync takes them: one parser per kind, each turning a JSON
object into a typed record or refusing it with a Russian message that names the field.

Pure: the allowed values of the coded columns (statuses, schemes, kinds) come in a
:class:`Vocabulary` from the caller, the phone goes through the one phone rule
(``domain.login.normalize_phone``), e-mails are lower-cased (they are login and search keys).
Money arrives in rubles (or points) with at most two decimals and is kept in hundredths.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Final, TypeVar

from .ids import MAX_ID
from .login import InvalidPhoneNumber, normalize_phone

__all__ = [
    "MAX_BATCH",
    "BalanceRecord",
    "CertificateRecord",
    "CustomerRecord",
    "OrderItemRecord",
    "OrderRecord",
    "ProductRecord",
    "RecordInvalid",
    "SellerRecord",
    "StockRecord",
    "SyncKind",
    "Vocabulary",
    "mask_contacts",
    "parse_record",
]

T = TypeVar("T")

MAX_BATCH: Final = 10_000
"""The most records one call takes (issue 16)."""

MAX_MONEY: Final = 10**13
"""The largest amount in hundredths (a hundred billion rubles): a technical bound."""


class SyncKind(StrEnum):
    CUSTOMERS = "customers"
    SELLERS = "sellers"
    PRODUCTS = "products"
    STOCK = "stock"
    ORDERS = "orders"
    BALANCES = "balances"
    CERTIFICATES = "certificates"


class RecordInvalid(ValueError):
    """A record the sync cannot store; ``message`` is for the integrator (Russian)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The allowed values of the coded columns (the store's CHECK constraints)."""

    customer_kinds: Collection[str]
    profitability: Collection[str]
    sale_schemes: Collection[str]
    goods_groups: Collection[str]
    order_statuses: Collection[str]
    delivery_types: Collection[str]
    balance_kinds: Collection[str]
    balance_sources: Collection[str]
    certificate_kinds: Collection[str]
    certificate_statuses: Collection[str]
    timezones: Collection[str]


class _Fields:
    """Reads the fields of one record; the first problem raises :class:`RecordInvalid`."""

    def __init__(self, raw: object, allowed: frozenset[str]) -> None:
        if not isinstance(raw, dict):
            raise RecordInvalid("Запись должна быть объектом JSON.")
        if not allowed.issuperset(raw):
            unknown = sorted(str(k) for k in raw if k not in allowed)
            raise RecordInvalid(f"Неизвестное поле «{unknown[0]}».")
        self.raw: Mapping[str, Any] = raw

    def _get(self, name: str, required: bool) -> Any:
        value = self.raw.get(name)
        if value is None and required:
            raise RecordInvalid(f"Поле «{name}» обязательно.")
        return value

    def record_id(self, name: str, *, required: bool = True) -> int | None:
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
            raise RecordInvalid(f"Поле «{name}»: нужно целое число от 1 до {MAX_ID}.")
        return value

    def key(self, name: str) -> str:
        """The marketplace's own id of a record kept under an id of ours (up to 64 chars)."""
        value = self._get(name, True)
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise RecordInvalid(f"Поле «{name}»: нужна строка или целое число.")
        text = str(value).strip()
        if not text or len(text) > 64:
            raise RecordInvalid(f"Поле «{name}»: от 1 до 64 символов.")
        return text

    def text(self, name: str, limit: int, *, required: bool = True) -> str | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise RecordInvalid(f"Поле «{name}»: нужна строка.")
        text = value.strip()
        if required and not text:
            raise RecordInvalid(f"Поле «{name}» не может быть пустым.")
        if len(text) > limit:
            raise RecordInvalid(f"Поле «{name}»: не длиннее {limit} символов.")
        if "\x00" in text:
            raise RecordInvalid(f"Поле «{name}» содержит недопустимый символ.")
        return text or None

    def choice(self, name: str, values: Collection[str], default: str | None = None) -> str:
        value = self._get(name, default is None)
        if value is None:
            assert default is not None
            return default
        if value not in values:
            listed = ", ".join(sorted(values))
            raise RecordInvalid(f"Поле «{name}»: одно из значений {listed}.")
        return str(value)

    def day(self, name: str, *, required: bool = True) -> date | None:
        value = self._get(name, required)
        if value is None:
            return None
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise RecordInvalid(f"Поле «{name}»: дата в виде ГГГГ-ММ-ДД.") from None

    def moment(self, name: str, *, required: bool = True) -> datetime | None:
        value = self._get(name, required)
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise RecordInvalid(
                f"Поле «{name}»: дата и время ISO 8601 с часовым поясом, "
                "например 2024-05-01T12:00:00+03:00."
            )
        return moment

    def money(self, name: str, *, required: bool = True, signed: bool = False) -> int | None:
        value = self._get(name, required)
        return None if value is None else money_value(name, value, signed=signed)

    def count(self, name: str, *, required: bool = True, low: int = 0) -> int | None:
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= 10**9:
            raise RecordInvalid(f"Поле «{name}»: нужно целое число не меньше {low}.")
        return value

    def flag(self, name: str) -> bool:
        value = self._get(name, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise RecordInvalid(f"Поле «{name}»: true или false.")
        return value

    def nested(self, name: str, allowed: frozenset[str]) -> _Fields | None:
        value = self._get(name, False)
        if value is None:
            return None
        try:
            return _Fields(value, allowed)
        except RecordInvalid as exc:
            raise RecordInvalid(
                f"Поле «{name}»: {exc.message[0].lower()}{exc.message[1:]}"
            ) from None

    def items(self, name: str) -> list[Any]:
        value = self._get(name, False)
        if value is None:
            return []
        if not isinstance(value, list):
            raise RecordInvalid(f"Поле «{name}»: нужен список.")
        return value


def money_value(name: str, value: object, *, signed: bool = False) -> int:
    """Rubles (or points) with at most two decimals, in hundredths."""
    try:
        amount = Decimal(str(value)) if isinstance(value, int | float | str) else None
    except InvalidOperation:
        amount = None
    if isinstance(value, bool) or amount is None or not amount.is_finite():
        raise RecordInvalid(f"Поле «{name}»: нужна сумма числом, например 1499.90.")
    minor = amount * 100
    if minor != minor.to_integral_value():
        raise RecordInvalid(f"Поле «{name}»: не больше двух знаков после запятой.")
    if (amount < 0 and not signed) or abs(minor) > MAX_MONEY:
        raise RecordInvalid(f"Поле «{name}»: сумма вне допустимого диапазона.")
    return int(minor)


_BAN_FIELDS: Final = frozenset({"intersections", "linked"})
_TRAVEL_FIELDS: Final = frozenset({"has_hotel_booking", "is_corporate", "package"})
_ITEM_FIELDS: Final = frozenset({"product_id", "name", "quantity", "price"})
_STEP_FIELDS: Final = frozenset({"status", "at"})


# --- the kinds ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    id: int
    full_name: str
    registered_on: date
    phone: str | None
    email: str | None
    kind: str
    timezone: str
    birth_date: date | None = None
    company_name: str | None = None
    profitability: str = "medium"
    # a field left out changes nothing; ``null`` removes the record
    coupon_ban: tuple[int, tuple[int, ...]] | None = None  # intersections, linked ids
    coupon_ban_given: bool = False
    travel: tuple[bool, bool, str | None] | None = None  # hotel booking, corporate, package
    travel_given: bool = False


_EMAIL: Final = re.compile(r"[^@\s<>(),;:\"\[\]]{1,64}@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\]]+")


def _email(raw: str | None) -> str | None:
    if raw is None:
        return None
    address = raw.strip().lower()
    if len(address) > 254 or not _EMAIL.fullmatch(address):
        raise RecordInvalid(
            "Поле «email»: адрес электронной почты полностью, например ivan@example.ru."
        )
    return address


def _phone(raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        return normalize_phone(raw)
    except InvalidPhoneNumber as exc:
        raise RecordInvalid(f"Поле «phone»: {exc}") from None


def _customer(f: _Fields, v: Vocabulary) -> CustomerRecord:
    timezone = f.text("timezone", 64, required=False) or "Europe/Moscow"
    if timezone not in v.timezones:
        raise RecordInvalid("Поле «timezone»: часовой пояс IANA, например Europe/Moscow.")
    ban = f.nested("coupon_ban", _BAN_FIELDS)
    travel = f.nested("travel", _TRAVEL_FIELDS)
    return CustomerRecord(
        id=_required(f.record_id("id")),
        full_name=_required(f.text("full_name", 200)),
        registered_on=_required(f.day("registered_on")),
        phone=_phone(f.text("phone", 40, required=False)),
        email=_email(f.text("email", 254, required=False)),
        kind=f.choice("kind", v.customer_kinds, "individual"),
        timezone=timezone,
        birth_date=f.day("birth_date", required=False),
        company_name=f.text("company_name", 300, required=False),
        profitability=f.choice("profitability", v.profitability, "medium"),
        coupon_ban=_ban(ban) if ban else None,
        coupon_ban_given="coupon_ban" in f.raw,
        travel_given="travel" in f.raw,
        travel=(
            (
                travel.flag("has_hotel_booking"),
                travel.flag("is_corporate"),
                travel.text("package", 64, required=False),
            )
            if travel
            else None
        ),
    )


def _ban(f: _Fields) -> tuple[int, tuple[int, ...]]:
    intersections = _required(f.count("intersections", low=1))
    linked = []
    for value in f.items("linked"):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
            raise RecordInvalid("Поле «coupon_ban.linked»: список ID покупателей.")
        linked.append(value)
    return intersections, tuple(linked)


@dataclass(frozen=True, slots=True)
class SellerRecord:
    id: int
    name: str


def _seller(f: _Fields, v: Vocabulary) -> SellerRecord:
    return SellerRecord(id=_required(f.record_id("id")), name=_required(f.text("name", 200)))


@dataclass(frozen=True, slots=True)
class ProductRecord:
    id: int
    name: str
    seller_id: int
    category_path: str
    sale_scheme: str
    goods_group: str
    price: int
    discount: int
    attributes: list[list[str]] = field(default_factory=list)
    special_category: str | None = None
    markdown_grade: int | None = None
    markdown_reason: str | None = None
    package_mm: tuple[int | None, int | None, int | None] = (None, None, None)
    weight_g: int | None = None
    return_check_days: int | None = None
    return_days: int | None = None
    warranty_months: int | None = None
    nominals: tuple[int, ...] = ()


def _attributes(values: list[Any]) -> list[list[str]]:
    out = []
    for pair in values:
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(isinstance(p, str | int | float) and not isinstance(p, bool) for p in pair)
        ):
            raise RecordInvalid("Поле «attributes»: список пар [название, значение].")
        out.append([str(pair[0]), str(pair[1])])
    return out


def _package(values: list[Any]) -> tuple[int | None, int | None, int | None]:
    if not values:
        return (None, None, None)
    if len(values) != 3 or not all(
        isinstance(n, int) and not isinstance(n, bool) and 0 < n < 10**6 for n in values
    ):
        raise RecordInvalid("Поле «package_mm»: три целых числа — длина, ширина, высота в мм.")
    return (values[0], values[1], values[2])


def _product(f: _Fields, v: Vocabulary) -> ProductRecord:
    price = _required(f.money("price"))
    discount = f.money("discount", required=False) or 0
    if discount > price:
        raise RecordInvalid("Поле «discount»: скидка не может быть больше цены.")
    grade = f.count("markdown_grade", required=False, low=1)
    if grade is not None and grade > 7:
        raise RecordInvalid("Поле «markdown_grade»: степень уценки от 1 до 7.")
    nominals = [money_value("nominals", value) for value in f.items("nominals")]
    return ProductRecord(
        id=_required(f.record_id("id")),
        name=_required(f.text("name", 500)),
        seller_id=_required(f.record_id("seller_id")),
        category_path=_required(f.text("category_path", 500)),
        sale_scheme=f.choice("sale_scheme", v.sale_schemes),
        goods_group=f.choice("goods_group", v.goods_groups, "other"),
        price=price,
        discount=discount,
        attributes=_attributes(f.items("attributes")),
        special_category=f.text("special_category", 64, required=False),
        markdown_grade=grade,
        markdown_reason=f.text("markdown_reason", 2000, required=False),
        package_mm=_package(f.items("package_mm")),
        weight_g=f.count("weight_g", required=False),
        return_check_days=f.count("return_check_days", required=False),
        return_days=f.count("return_days", required=False),
        warranty_months=f.count("warranty_months", required=False),
        nominals=tuple(nominals),
    )


@dataclass(frozen=True, slots=True)
class StockRecord:
    """One of three shapes: a warehouse's quantity (``quantity``), a movement (``delta`` with
    its own ``delta_id``, applied once), or the product's full snapshot (``warehouses``:
    every warehouse it is in; the others drop to nothing)."""

    product_id: int
    warehouse: str | None = None
    quantity: int | None = None
    delta: int | None = None
    delta_id: str | None = None
    snapshot: tuple[tuple[str, int], ...] | None = None


def _stock(f: _Fields, v: Vocabulary) -> StockRecord:
    product_id = _required(f.record_id("product_id"))
    if f.raw.get("warehouses") is not None:
        snapshot = f.raw["warehouses"]
        if not isinstance(snapshot, Mapping) or any(k in f.raw for k in ("warehouse", "delta")):
            raise RecordInvalid(
                "Поле «warehouses»: объект {склад: количество} — весь остаток товара."
            )
        pairs = []
        for name, quantity in snapshot.items():
            if not str(name).strip() or len(str(name)) > 120:
                raise RecordInvalid("Поле «warehouses»: название склада от 1 до 120 символов.")
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
                raise RecordInvalid(
                    f"Поле «warehouses»: количество на складе «{name}» — целое ≥ 0."
                )
            pairs.append((str(name).strip(), quantity))
        return StockRecord(product_id=product_id, snapshot=tuple(pairs))
    warehouse = _required(f.text("warehouse", 120))
    has_quantity, has_delta = f.raw.get("quantity") is not None, f.raw.get("delta") is not None
    if has_quantity == has_delta:
        raise RecordInvalid("Укажите что-то одно: «quantity» (остаток) или «delta» (движение).")
    if has_quantity:
        return StockRecord(product_id, warehouse, quantity=f.count("quantity"))
    delta = f.raw["delta"]
    if isinstance(delta, bool) or not isinstance(delta, int) or abs(delta) > 10**9:
        raise RecordInvalid(
            "Поле «delta»: целое число (положительное — приход, отрицательное — расход)."
        )
    return StockRecord(product_id, warehouse, delta=delta, delta_id=f.key("delta_id"))


@dataclass(frozen=True, slots=True)
class OrderItemRecord:
    product_id: int | None
    name: str
    quantity: int
    price: int


@dataclass(frozen=True, slots=True)
class OrderRecord:
    number: str
    customer_id: int
    status: str
    delivery_type: str
    created_at: datetime
    total: int
    payment_method: str | None
    items: tuple[OrderItemRecord, ...]
    history: tuple[tuple[str, datetime], ...]  # (status, at), in time order


def _order_items(f: _Fields) -> tuple[OrderItemRecord, ...]:
    items = []
    for raw in f.items("items"):
        try:
            item = _Fields(raw, _ITEM_FIELDS)
            items.append(
                OrderItemRecord(
                    product_id=item.record_id("product_id", required=False),
                    name=_required(item.text("name", 500)),
                    quantity=_required(item.count("quantity", low=1)),
                    price=_required(item.money("price")),
                )
            )
        except RecordInvalid as exc:
            raise RecordInvalid(f"Товар {len(items) + 1} заказа: {exc.message}") from None
    return tuple(items)


def _history(f: _Fields, v: Vocabulary) -> tuple[tuple[str, datetime], ...]:
    history = []
    for raw in f.items("history"):
        try:
            step = _Fields(raw, _STEP_FIELDS)
            history.append((step.choice("status", v.order_statuses), _required(step.moment("at"))))
        except RecordInvalid as exc:
            raise RecordInvalid(f"История заказа, шаг {len(history) + 1}: {exc.message}") from None
    return tuple(sorted(history, key=lambda step: step[1]))


def _order(f: _Fields, v: Vocabulary) -> OrderRecord:
    number = f.raw.get("number", f.raw.get("id"))
    if number is None:
        raise RecordInvalid("Поле «number» обязательно (номер заказа в маркетплейсе).")
    if (
        not isinstance(number, str | int)
        or isinstance(number, bool)
        or not 0 < len(str(number).strip()) <= 32
    ):
        raise RecordInvalid("Поле «number»: номер заказа, от 1 до 32 символов.")
    status = f.choice("status", v.order_statuses)
    items = _order_items(f)
    total = _required(f.money("total"))
    if items and sum(i.price * i.quantity for i in items) != total:
        raise RecordInvalid("Поле «total» не равно сумме товаров заказа.")
    history = _history(f, v)
    if history and history[-1][0] != status:
        raise RecordInvalid(
            "Последний шаг истории заказа должен совпадать с его статусом «status»."
        )
    return OrderRecord(
        number=str(number).strip(),
        customer_id=_required(f.record_id("customer_id")),
        status=status,
        delivery_type=f.choice("delivery", v.delivery_types),
        created_at=_required(f.moment("created_at")),
        total=total,
        payment_method=f.text("payment", 64, required=False),
        items=items,
        history=history,
    )


@dataclass(frozen=True, slots=True)
class BalanceRecord:
    id: str
    customer_id: int
    kind: str
    source: str
    amount: int
    created_at: datetime | None
    expires_at: datetime | None
    certificate_id: str | None
    reference: str | None


def _balance(f: _Fields, v: Vocabulary) -> BalanceRecord:
    source = f.choice("source", v.balance_sources)
    kind = f.choice("kind", v.balance_kinds)
    certificate_id = f.key("certificate_id") if f.raw.get("certificate_id") is not None else None
    if source == "certificate" and (certificate_id is None or kind != "rubles"):
        raise RecordInvalid(
            "Деньги с сертификата — это рубли («kind»: rubles) с его «certificate_id»."
        )
    return BalanceRecord(
        id=f.key("id"),
        customer_id=_required(f.record_id("customer_id")),
        kind=kind,
        source=source,
        amount=_required(f.money("amount", signed=True)),
        created_at=f.moment("created_at", required=False),
        expires_at=f.moment("expires_at", required=False),
        certificate_id=certificate_id,
        reference=f.text("reference", 120, required=False),
    )


@dataclass(frozen=True, slots=True)
class CertificateRecord:
    id: str
    code: str
    nominal: int
    kind: str
    status: str
    issued_at: datetime | None
    expires_at: datetime | None
    activated_at: datetime | None
    activated_by: int | None


def _certificate(f: _Fields, v: Vocabulary) -> CertificateRecord:
    code = _required(f.text("code", 64))
    if len(code) < 8:
        raise RecordInvalid("Поле «code»: код сертификата не короче 8 символов.")
    status = f.choice("status", v.certificate_statuses, "issued")
    activated_at = f.moment("activated_at", required=False)
    activated_by = f.record_id("activated_by", required=False)
    if (status == "activated") != (activated_at is not None and activated_by is not None):
        raise RecordInvalid(
            "Активированный сертификат («status»: activated) — с «activated_at» и "
            "«activated_by», другой — без них."
        )
    return CertificateRecord(
        id=f.key("id"),
        code=code,
        nominal=_required(f.money("nominal")),
        kind=f.choice("kind", v.certificate_kinds),
        status=status,
        issued_at=f.moment("issued_at", required=False),
        expires_at=f.moment("expires_at", required=False),
        activated_at=activated_at,
        activated_by=activated_by,
    )


def _required(value: T | None) -> T:
    assert value is not None  # the reader raised for a missing required field
    return value


_FIELDS: Final[Mapping[SyncKind, tuple[str, ...]]] = {
    SyncKind.CUSTOMERS: (
        "id", "full_name", "phone", "email", "kind", "registered_on", "timezone",
        "birth_date", "company_name", "profitability", "coupon_ban", "travel",
    ),
    SyncKind.SELLERS: ("id", "name"),
    SyncKind.PRODUCTS: (
        "id", "name", "seller_id", "category_path", "sale_scheme", "goods_group",
        "special_category", "attributes", "price", "discount", "markdown_grade",
        "markdown_reason", "package_mm", "weight_g", "return_check_days", "return_days",
        "warranty_months", "nominals",
    ),
    SyncKind.STOCK: ("product_id", "warehouse", "quantity", "delta", "delta_id", "warehouses"),
    SyncKind.ORDERS: (
        "number", "id", "customer_id", "status", "delivery", "created_at", "total", "payment",
        "items", "history",
    ),
    SyncKind.BALANCES: (
        "id", "customer_id", "kind", "source", "amount", "created_at", "expires_at",
        "certificate_id", "reference",
    ),
    SyncKind.CERTIFICATES: (
        "id", "code", "nominal", "kind", "status", "issued_at", "expires_at", "activated_at",
        "activated_by",
    ),
}  # fmt: skip

_ALLOWED: Final = {kind: frozenset(names) for kind, names in _FIELDS.items()}

_PARSERS: Final[Mapping[SyncKind, Callable[[_Fields, Vocabulary], object]]] = {
    SyncKind.CUSTOMERS: _customer,
    SyncKind.SELLERS: _seller,
    SyncKind.PRODUCTS: _product,
    SyncKind.STOCK: _stock,
    SyncKind.ORDERS: _order,
    SyncKind.BALANCES: _balance,
    SyncKind.CERTIFICATES: _certificate,
}


def parse_record(kind: SyncKind, raw: object, vocabulary: Vocabulary) -> object:
    """The typed record of ``kind`` (``CustomerRecord`` …); raises :class:`RecordInvalid`."""
    return _PARSERS[kind](_Fields(raw, _ALLOWED[kind]), vocabulary)


# --- the right to be forgotten --------------------------------------------------------------

_PHONE_LIKE: Final = re.compile(
    r"(?<![\w+])\+?[78]?[\s\u00a0\-(]*\d{3}[\s\u00a0\-)]*\d{3}[\s\u00a0\-.]*\d{2}[\s\u00a0\-.]*\d{2}(?!\d)"
)
_EMAIL_LIKE: Final = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
ERASED_MARK: Final = "[удалено]"
"""What replaces an erased phone number or e-mail address in a transcript."""


def mask_contacts(text: str) -> str:
    """``text`` with every phone number and e-mail address replaced by :data:`ERASED_MARK`."""
    text = _EMAIL_LIKE.sub(ERASED_MARK, text)
    return _PHONE_LIKE.sub(ERASED_MARK, text)
