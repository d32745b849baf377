"""demo/seed.yaml turned into the sync API's batches: what a marketplace would send to give
marketdesk the demo's data (ages become dates against the same ``now`` the loader is given)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import yaml

from marketdesk.services.demo import DEMO_FILE, _demo_history

KINDS_IN_ORDER = ("sellers", "products", "stock", "customers", "certificates", "balances", "orders")


def seed_data() -> dict[str, Any]:
    return yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))


def seed_batches(now: datetime, data: dict[str, Any] | None = None) -> dict[str, list[dict]]:
    data = data or seed_data()
    seller_ids = {name: index + 1 for index, name in enumerate(data["sellers"])}
    out: dict[str, list[dict]] = {kind: [] for kind in KINDS_IN_ORDER}
    out["sellers"] = [{"id": i, "name": n} for n, i in seller_ids.items()]
    for item in data["products"]:
        out["products"].append(_product(item, seller_ids))
        if item.get("stock"):
            out["stock"].append({"product_id": item["id"], "warehouses": dict(item["stock"])})
    for item in data["customers"]:
        out["customers"].append(_customer(item))
        certificates = _certificates(item, now)
        out["certificates"] += certificates
        out["balances"] += _balances(item, certificates, now)
        out["orders"] += [_order(item["id"], order, now) for order in item.get("orders", [])]
    return out


def _product(item: dict[str, Any], seller_ids: dict[str, int]) -> dict[str, Any]:
    record = {
        key: item[key]
        for key in (
            "id", "name", "category_path", "sale_scheme", "goods_group", "special_category",
            "price", "discount", "markdown_grade", "markdown_reason", "package_mm", "weight_g",
            "return_check_days", "return_days", "warranty_months", "nominals",
        )
        if key in item
    }  # fmt: skip
    record["seller_id"] = seller_ids[item["seller"]]
    record["attributes"] = [[str(n), str(v)] for n, v in item.get("attributes", [])]
    return record


def _customer(item: dict[str, Any]) -> dict[str, Any]:
    record = {
        "id": item["id"],
        "full_name": item["full_name"],
        "phone": item.get("phone"),
        "email": item.get("email"),
        "kind": item.get("kind", "individual"),
        "registered_on": str(item["registered_on"]),
        "timezone": item.get("timezone", "Europe/Moscow"),
        "profitability": item.get("profitability", "medium"),
    }
    if item.get("company_name"):
        record["company_name"] = item["company_name"]
    if ban := item.get("coupon_ban"):
        record["coupon_ban"] = {"intersections": ban["intersections"], "linked": ban["linked"]}
    if travel := item.get("travel"):
        record["travel"] = dict(travel)
    return record


def _certificates(item: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    out = []
    for index, certificate in enumerate(item.get("certificates", [])):
        activated = (now - timedelta(days=certificate.get("activated_days_ago", 0))).isoformat()
        out.append(
            {
                "id": f"{item['id']}-c{index}",
                "code": secrets.token_hex(10).upper(),
                "nominal": certificate["nominal"],
                "kind": certificate.get("kind", "electronic"),
                "status": "activated",
                "issued_at": activated,
                "activated_at": activated,
                "activated_by": item["id"],
            }
        )
    return out


def _balances(
    item: dict[str, Any], certificates: list[dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    unpaired = list(certificates)
    out = []
    for kind, rows in (item.get("balances") or {}).items():
        for index, (amount, source) in enumerate(rows):
            record = {
                "id": f"{item['id']}-{kind}-{index}",
                "customer_id": item["id"],
                "kind": kind,
                "source": source,
                "amount": amount,
            }
            if source == "certificate":  # paired by nominal, as the loader pairs them
                certificate = next(c for c in unpaired if c["nominal"] == amount)
                unpaired.remove(certificate)
                record["certificate_id"] = certificate["id"]
            else:
                record["created_at"] = now.isoformat()
            out.append(record)
    return out


def _order(customer_id: int, order: dict[str, Any], now: datetime) -> dict[str, Any]:
    created = now - timedelta(days=order["age_days"])
    record: dict[str, Any] = {
        "number": order["number"],
        "customer_id": customer_id,
        "status": order["status"],
        "delivery": order["delivery"],
        "created_at": created.isoformat(),
        "total": order["total"],
        "history": [
            {"status": status, "at": at.isoformat()}
            for status, at in _demo_history(order["status"], order["delivery"], created, now)
        ],
    }
    if order.get("payment"):
        record["payment"] = order["payment"]
    if order.get("items"):
        record["items"] = [
            {
                "product_id": i["product"],
                "name": i["name"],
                "quantity": int(i.get("quantity", 1)),
                "price": i["price"],
            }
            for i in order["items"]
        ]
    return record
