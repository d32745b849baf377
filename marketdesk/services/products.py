"""The product card (seed 000's WebCRM: main information, attributes, stock and dimensions,
return terms, price) and product search by code or name."""

from __future__ import annotations

import re
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import bindparam, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.ids import MAX_ID
from marketdesk.domain.markdown import markdown_grade
from marketdesk.domain.special_categories import special_category_title
from marketdesk.store.json_rows import rows_as_json, rows_from_json
from marketdesk.store.models import Product, ProductNominal, Seller, Stock, Warehouse

from .customers import Coded, money
from .errors import EmptyQuery, NoSearchWords, ProductNotFound, QueryTooLong
from .labels import SALE_SCHEME_TITLES
from .principals import Principal

__all__ = ["ProductCard", "ProductSummary", "product_card", "search_products", "serial_number"]

PRODUCT_URL = "https://www.ozon.ru/product/{code}/"
MAX_QUERY_LENGTH = 200
_CODE = re.compile(r"^\s*(?:OZN)?\s*(\d{1,19})\s*$", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)


def serial_number(code: int) -> str:
    return f"OZN{code}"


def _plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def _days(n: int) -> str:
    return f"{n} {_plural(n, 'день', 'дня', 'дней')}"


def _months(n: int) -> str:
    if n % 12 == 0:
        years = n // 12
        return f"{years} {_plural(years, 'год', 'года', 'лет')}"
    return f"{n} {_plural(n, 'месяц', 'месяца', 'месяцев')}"


class SellerView(BaseModel):
    id: int
    name: str


class AttributeView(BaseModel):
    name: str
    value: str


class StockView(BaseModel):
    warehouse: str
    quantity: int


class PackageView(BaseModel):
    length_mm: int | None
    width_mm: int | None
    height_mm: int | None
    weight_g: int | None
    text: str | None


class ReturnTerm(BaseModel):
    title: str
    value: str | None


class MarkdownView(BaseModel):
    grade: int
    reason: str | None
    grade_reason: str
    discount_percent: int


class ProductCard(BaseModel):
    id: int
    name: str
    serial_number: str
    seller: SellerView
    category_path: str
    category: list[str]
    link: str
    sale_scheme: Coded
    goods_group: str
    special_category: str | None
    special_category_title: str | None = None
    """Seed 000's «особые товары» (``domain.special_categories``): the consultation differs."""
    attributes: list[AttributeView]
    price: Decimal
    discount: Decimal
    price_with_discount: Decimal
    discount_percent: int
    markdown: MarkdownView | None
    package: PackageView
    return_terms: list[ReturnTerm]
    stock: list[StockView]
    stock_total: int
    nominals: list[Decimal]


class ProductSummary(BaseModel):
    id: int
    name: str
    seller: str
    sale_scheme: str
    price_with_discount: Decimal
    stock_total: int


# The card is one statement, built once: the product's row with its stock and nominals as
# JSON columns (marketdesk.store.json_rows; a statement each cost more CPU than SQLite took).
_PRODUCT_ID = bindparam("product_id", type_=Product.id.type)
_STOCK_ORDER = (Warehouse.id,)
_CARD_STOCK = (
    select(Warehouse.name, Stock.quantity)
    .join(Warehouse, Warehouse.id == Stock.warehouse_id)
    .where(Stock.product_id == _PRODUCT_ID)
    .order_by(*_STOCK_ORDER)
)
_NOMINALS_ORDER = (ProductNominal.nominal,)
_CARD_NOMINALS = (
    select(ProductNominal.nominal)
    .where(ProductNominal.product_id == _PRODUCT_ID)
    .order_by(*_NOMINALS_ORDER)
)
_CARD_PRODUCT = (
    select(
        Product,
        Seller,
        rows_as_json(_CARD_STOCK, _STOCK_ORDER).label("stock"),
        rows_as_json(_CARD_NOMINALS, _NOMINALS_ORDER).label("nominals"),
    )
    .join(Seller, Seller.id == Product.seller_id)
    .where(Product.id == _PRODUCT_ID)
)


async def product_card(session: AsyncSession, principal: Principal, code: int) -> ProductCard:
    principal.require_operator()
    by_code = {"product_id": code}
    row = (await session.execute(_CARD_PRODUCT, by_code)).first()
    if row is None:
        raise ProductNotFound(product_id=code)
    product, seller = row.Product, row.Seller
    stock_rows = rows_from_json(row.stock)
    nominals = [nominal for (nominal,) in rows_from_json(row.nominals)]
    markdown = None
    if product.markdown_grade is not None:
        grade = markdown_grade(product.markdown_grade)
        markdown = MarkdownView(
            grade=grade.grade,
            reason=product.markdown_reason,
            grade_reason=grade.reason_ru,
            discount_percent=grade.discount_percent,
        )
    dims = (product.package_length_mm, product.package_width_mm, product.package_height_mm)
    final = product.price - product.discount
    return ProductCard(
        id=product.id,
        name=product.name,
        serial_number=serial_number(product.id),
        seller=SellerView(id=seller.id, name=seller.name),
        category_path=product.category_path,
        category=[part.strip() for part in product.category_path.split(">") if part.strip()],
        link=PRODUCT_URL.format(code=product.id),
        sale_scheme=Coded(code=product.sale_scheme, title=SALE_SCHEME_TITLES[product.sale_scheme]),
        goods_group=product.goods_group,
        special_category=product.special_category,
        special_category_title=special_category_title(product.special_category),
        attributes=[AttributeView(name=str(n), value=str(v)) for n, v in product.attributes],
        price=money(product.price),
        discount=money(product.discount),
        price_with_discount=money(final),
        discount_percent=round(product.discount * 100 / product.price) if product.price else 0,
        markdown=markdown,
        package=PackageView(
            length_mm=dims[0],
            width_mm=dims[1],
            height_mm=dims[2],
            weight_g=product.weight_g,
            text=" × ".join(str(d) for d in dims) if all(d is not None for d in dims) else None,
        ),
        return_terms=[
            ReturnTerm(
                title="Проверка качества товара и доставки",
                value=_days(product.return_check_days) if product.return_check_days else None,
            ),
            ReturnTerm(
                title="Возврат товара надлежащего качества",
                value=_days(product.return_days) if product.return_days else None,
            ),
            ReturnTerm(
                title="Возврат товара по гарантии",
                value=_months(product.warranty_months) if product.warranty_months else None,
            ),
        ],
        stock=[StockView(warehouse=name, quantity=qty) for name, qty in stock_rows],
        stock_total=sum(qty for _, qty in stock_rows),
        nominals=[money(n) for n in nominals],
    )


class ProductSearchPage(BaseModel):
    query: str
    products: list[ProductSummary]


def _fts_query(words: list[str], dialect: str) -> str:
    if dialect == "sqlite":
        return " AND ".join(f'"{w}"*' for w in words)
    return " & ".join(f"{w}:*" for w in words)


async def search_products(
    session: AsyncSession, principal: Principal, query: str, *, limit: int = 20
) -> ProductSearchPage:
    """By code (``235260644`` or the serial ``OZN235260644``) or by words of the name."""
    principal.require_operator()
    query = query.strip()
    if not query:
        raise EmptyQuery()
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryTooLong(limit=MAX_QUERY_LENGTH)
    stock_total = (
        select(func.coalesce(func.sum(Stock.quantity), 0))
        .where(Stock.product_id == Product.id)
        .scalar_subquery()
    )
    stmt = select(Product, Seller.name, stock_total).join(Seller, Seller.id == Product.seller_id)
    code = _CODE.match(query)
    if code and int(code.group(1)) <= MAX_ID:
        stmt = stmt.where(Product.id == int(code.group(1)))
    else:
        words = [w.lower().replace("ё", "е") for w in _WORD.findall(query)][:10]
        if not words:
            raise NoSearchWords()
        dialect = session.get_bind().dialect.name
        if dialect == "sqlite":
            matching = text("SELECT rowid FROM products_fts WHERE products_fts MATCH :q")
            stmt = stmt.where(Product.id.in_(matching.bindparams(q=_fts_query(words, dialect))))
        else:
            stmt = stmt.where(
                literal_column("to_tsvector('simple', products.name)").op("@@")(
                    func.to_tsquery("simple", _fts_query(words, dialect))
                )
            )
    rows = (await session.execute(stmt.order_by(Product.id).limit(limit))).all()
    return ProductSearchPage(
        query=query,
        products=[
            ProductSummary(
                id=product.id,
                name=product.name,
                seller=seller,
                sale_scheme=SALE_SCHEME_TITLES[product.sale_scheme],
                price_with_discount=money(product.price - product.discount),
                stock_total=int(total),
            )
            for product, seller, total in rows
        ],
    )
