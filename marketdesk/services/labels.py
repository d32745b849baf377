"""Russian names of the coded values that operators and customers see."""

from __future__ import annotations

__all__ = [
    "BALANCE_KIND_TITLES",
    "BALANCE_KIND_UNITS",
    "BALANCE_SOURCE_TITLES",
    "DELIVERY_TYPE_TITLES",
    "NEWS_KIND_TITLES",
    "ORDER_STATUS_TITLES",
    "PROFITABILITY_TITLES",
    "SALE_SCHEME_TITLES",
]

ORDER_STATUS_TITLES = {
    "created": "Создан",
    "processing": "В обработке",
    "in_delivery": "Передан в доставку",
    "ready_for_pickup": "Ожидает в пункте выдачи",
    "completed": "Выполнен",
    "cancelled": "Отменён",
}
DELIVERY_TYPE_TITLES = {
    "pickup_point": "Доставка в пункт выдачи",
    "postamat": "Доставка в постамат",
    "courier": "Доставка курьером",
    "post": "Доставка Почтой России",
    "digital": "Доставка на e-mail",
}
BALANCE_KIND_TITLES = {
    "rubles": "Рубли",
    "ozon_bonuses": "Ozon.Бонусы",
    "ozon_points": "Баллы Ozon",
    "premium_points": "Premium баллы",
}
BALANCE_KIND_UNITS = {"rubles": "₽", "ozon_bonuses": "Б", "ozon_points": "Б", "premium_points": "Б"}
BALANCE_SOURCE_TITLES = {
    "certificate": "Подарочный сертификат",
    "refund": "Возврат за заказ",
    "cashback": "Кешбэк",
    "promotion": "Акция",
    "compensation": "Компенсация",
    "review": "Баллы за отзыв",
    "withdrawal": "Вывод средств",
    "purchase": "Оплата заказа",
    "other": "Прочее",
}
PROFITABILITY_TITLES = {"low": "Низкая", "medium": "Средняя", "high": "Высокая"}
SALE_SCHEME_TITLES = {
    "retail": "Retail",
    "fbo": "FBO",
    "fbs": "FBS",
    "rfbs": "rFBS",
    "crossborder": "CrossBorder",
}
NEWS_KIND_TITLES = {"promotion": "Акция", "news": "Новость", "instruction": "Инструкция"}
