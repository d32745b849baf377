"""Refusals of the messages hub and the buyer ↔ seller chat (issue 14, items 1 and 2)."""

from __future__ import annotations

from .base import Conflict, InvalidInput, NotFound, PermissionDenied
from .refusals import WithdrawalByCustomerOnly

__all__ = [
    "ContactsInSellerChat",
    "HubCustomerOnly",
    "NoSellerToWrite",
    "NotASellerChat",
    "RetailHasNoSellerChat",
    "SellerChatByTransfer",
    "SellerChatNeedsSubject",
    "SellerChatOpensFromProduct",
    "SellerNotFound",
    "SellerOnly",
]


class HubCustomerOnly(WithdrawalByCustomerOnly):
    """The same code as the account's other customer-only screens."""

    template = "Сообщения видит покупатель, вошедший в личный кабинет."


class SellerChatNeedsSubject(InvalidInput):
    code = "seller_chat_subject"
    template = "Укажите товар или заказ, о котором вы пишете продавцу."


class NoSellerToWrite(InvalidInput):
    """The order has goods of several sellers (or none) and no product was chosen."""

    code = "seller_chat_choose_product"
    template = "В заказе товары разных продавцов: выберите товар, о котором хотите написать."


class RetailHasNoSellerChat(Conflict):
    code = "seller_chat_retail"
    template = "Этот товар продаёт сам маркетплейс: напишите в поддержку."


class SellerChatOpensFromProduct(InvalidInput):
    """``POST /conversations`` with the line ``seller_chat``: the chat opens from a product or
    an order, which names its seller."""

    code = "seller_chat_from_product"
    template = "Чат с продавцом открывается из карточки товара или из заказа."


class SellerChatByTransfer(InvalidInput):
    code = "seller_chat_transfer"
    template = (
        "На линию «Чат с продавцом» диалог не переводят: подключите продавца к диалогу "
        "(POST /api/v1/conversations/{{id}}/seller)."
    )


class ContactsInSellerChat(InvalidInput):
    """The guard of the buyer ↔ seller chat (``found``: the kinds of data it found)."""

    code = "seller_chat_contacts"
    template = (
        "Сообщение не отправлено: в чате с продавцом нельзя обмениваться телефонами, "
        "адресами электронной почты и платёжными реквизитами. Общайтесь и платите только "
        "через маркетплейс — так мы сможем помочь, если что-то пойдёт не так."
    )


class SellerOnly(PermissionDenied):
    code = "seller_only"
    template = "Раздел «Покупатели» доступен только аккаунтам продавцов."


class SellerNotFound(NotFound):
    code = "seller_not_found"
    template = "Продавец {seller_id} не найден."


class NotASellerChat(Conflict):
    code = "not_seller_chat"
    template = "Передать в поддержку можно только открытый диалог с продавцом."
