"""SQLAlchemy models of marketdesk, one module per area."""

from .base import Base, utcnow
from .catalog import Product, ProductNominal, Seller, Stock, Warehouse
from .certificates import GiftCertificate
from .conversations import Conversation, Message, Visitor
from .customers import BalanceEntry, CouponBan, Customer, CustomerComment
from .meta import MetaValue
from .notices import StaffNotice
from .operators import AuditEntry, Operator, OperatorLine, OperatorRole, Session
from .orders import Order, OrderItem
from .promotions import News, NewsRead
from .tasks import Task, TaskComment, TaskEvent

__all__ = [
    "AuditEntry",
    "BalanceEntry",
    "Base",
    "Conversation",
    "CouponBan",
    "Customer",
    "CustomerComment",
    "GiftCertificate",
    "Message",
    "MetaValue",
    "News",
    "NewsRead",
    "Operator",
    "OperatorLine",
    "OperatorRole",
    "Order",
    "OrderItem",
    "Product",
    "ProductNominal",
    "Seller",
    "Session",
    "StaffNotice",
    "Stock",
    "Task",
    "TaskComment",
    "TaskEvent",
    "Visitor",
    "Warehouse",
    "utcnow",
]
