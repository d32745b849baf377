"""Products (attributes, scheme, price, return terms, nominals) and stock per warehouse."""

from __future__ import annotations

from sqlalchemy import and_, delete, or_, select, tuple_

from marketdesk.domain.sync import ProductRecord, StockRecord
from marketdesk.store.models import Product, ProductNominal, Seller, Stock, Warehouse

from .common import Batch, chunks, existing, link_ids, save_links, upsert

__all__ = ["store_products", "store_stock"]

_PRODUCT_COLUMNS = (
    "name",
    "seller_id",
    "category_path",
    "sale_scheme",
    "goods_group",
    "special_category",
    "attributes",
    "price",
    "discount",
    "markdown_grade",
    "markdown_reason",
    "package_length_mm",
    "package_width_mm",
    "package_height_mm",
    "weight_g",
    "return_check_days",
    "return_days",
    "warranty_months",
)


def _product_row(r: ProductRecord, batch: Batch) -> dict[str, object]:
    return {
        "id": r.id,
        "name": r.name,
        "seller_id": r.seller_id,
        "category_path": r.category_path,
        "sale_scheme": r.sale_scheme,
        "goods_group": r.goods_group,
        "special_category": r.special_category,
        "attributes": r.attributes,
        "price": r.price,
        "discount": r.discount,
        "markdown_grade": r.markdown_grade,
        "markdown_reason": r.markdown_reason,
        "package_length_mm": r.package_mm[0],
        "package_width_mm": r.package_mm[1],
        "package_height_mm": r.package_mm[2],
        "weight_g": r.weight_g,
        "return_check_days": r.return_check_days,
        "return_days": r.return_days,
        "warranty_months": r.warranty_months,
        "created_at": batch.now,
    }


async def store_products(batch: Batch) -> None:
    seen: dict[int, int] = {}
    for index, record in batch.live():
        if record.id in seen:
            batch.refuse(index, f"Товар с этим ID уже есть в пакете (запись {seen[record.id]}).")
        seen.setdefault(record.id, index)
    sellers = await existing(batch.session, Seller.id, [r.seller_id for _, r in batch.live()])
    for index, record in batch.live():
        if record.seller_id not in sellers:
            batch.refuse(
                index,
                f"Продавец {record.seller_id} не найден: сначала передайте его в /sync/sellers.",
            )
    records: list[ProductRecord] = [r for _, r in batch.live()]
    rows = [_product_row(r, batch) for r in records]
    await upsert(batch.session, Product.__table__, rows, ("id",), _PRODUCT_COLUMNS)
    for part in chunks(records):
        await batch.session.execute(
            delete(ProductNominal).where(
                or_(
                    *(
                        and_(
                            ProductNominal.product_id == r.id,
                            ProductNominal.nominal.not_in(r.nominals or [-1]),
                        )
                        for r in part
                    )
                )
            )
        )
    nominals = [{"product_id": r.id, "nominal": n} for r in records for n in r.nominals]
    await upsert(
        batch.session,
        ProductNominal.__table__,
        nominals,
        ("product_id", "nominal"),
        (),
    )


async def _warehouses(batch: Batch, names: list[str]) -> dict[str, int]:
    """The warehouses' ids; new ones are made in the order the batch names them."""
    rows = [{"name": n} for n in names]
    await upsert(batch.session, Warehouse.__table__, rows, ("name",), ())
    found: dict[str, int] = {}
    for part in chunks(sorted(names)):
        result = await batch.session.execute(
            select(Warehouse.name, Warehouse.id).where(Warehouse.name.in_(part))
        )
        found.update({name: int(i) for name, i in result})
    return found


async def _current(batch: Batch, keys: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    found: dict[tuple[int, int], int] = {}
    for part in chunks(sorted(keys)):
        rows = await batch.session.execute(
            select(Stock.product_id, Stock.warehouse_id, Stock.quantity).where(
                tuple_(Stock.product_id, Stock.warehouse_id).in_(part)
            )
        )
        found.update({(p, w): q for p, w, q in rows})
    return found


async def store_stock(batch: Batch) -> None:
    """Quantities set, movements applied once each (by ``delta_id``), snapshots replace
    the product's rows; in the order of the batch."""
    products = await existing(batch.session, Product.id, [r.product_id for _, r in batch.live()])
    for index, record in batch.live():
        if record.product_id not in products:
            batch.refuse(
                index,
                f"Товар {record.product_id} не найден: сначала передайте его в /sync/products.",
            )
    records: list[tuple[int, StockRecord]] = batch.live()
    applied = await link_ids(
        batch.session, "stock_delta", [r.delta_id for _, r in records if r.delta_id]
    )
    names = [
        name
        for _, r in records
        for name in ([r.warehouse] if r.warehouse else [n for n, _ in r.snapshot or ()])
    ]
    names = list(dict.fromkeys(names))
    warehouses = await _warehouses(batch, names)
    keys = {(r.product_id, warehouses[r.warehouse]) for _, r in records if r.warehouse}
    quantities = await _current(batch, keys)
    replaced: set[int] = set()
    new_deltas: dict[str, int] = {}
    for index, record in records:
        if record.snapshot is not None:
            replaced.add(record.product_id)
            for key in [k for k in quantities if k[0] == record.product_id]:
                quantities[key] = 0
            for name, quantity in record.snapshot:
                quantities[(record.product_id, warehouses[name])] = quantity
            continue
        assert record.warehouse is not None
        key = (record.product_id, warehouses[record.warehouse])
        if record.quantity is not None:
            quantities[key] = record.quantity
        elif record.delta_id not in applied and record.delta_id not in new_deltas:
            after = quantities.get(key, 0) + (record.delta or 0)
            if after < 0:
                batch.refuse(
                    index,
                    f"Остаток на складе «{record.warehouse}» стал бы отрицательным ({after}).",
                )
                continue
            quantities[key] = after
            new_deltas[str(record.delta_id)] = record.product_id
    for part in chunks(sorted(replaced)):  # a snapshot drops what it does not list
        await batch.session.execute(delete(Stock).where(Stock.product_id.in_(part)))
    rows = [
        {"product_id": p, "warehouse_id": w, "quantity": q}
        for (p, w), q in sorted(quantities.items())
        if q or p not in replaced
    ]
    await upsert(
        batch.session, Stock.__table__, rows, ("product_id", "warehouse_id"), ("quantity",)
    )
    await save_links(batch.session, "stock_delta", new_deltas)
