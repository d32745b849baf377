"""SQLAlchemy models of marketdesk, one module per area."""

from .api_keys import ApiKey, CustomerTombstone, ImportCheckpoint, SyncLink
from .base import Base, utcnow
from .catalog import Product, ProductNominal, Seller, Stock, Warehouse
from .certificates import GiftCertificate
from .channels import ChannelContact, ChannelDelivery, ChannelInbound
from .chat import Attachment, LoginCode, OperatorPresence, TravelProfile
from .content import ContentVersion
from .conversations import (
    Conversation,
    ConversationOperator,
    Message,
    SlaBreach,
    SlaWarning,
    Visitor,
)
from .customers import BalanceEntry, CouponBan, Customer, CustomerComment
from .identity import CustomerCodeword, IdentityCheck, SecurityMessage
from .meta import MetaValue
from .notices import StaffNotice
from .notifications import CustomerPresence, Notification, NotificationSetting, PushSubscription
from .operators import (
    AuditEntry,
    Operator,
    OperatorLine,
    OperatorRole,
    OperatorSeller,
    Session,
)
from .orders import Order, OrderItem, OrderStatusEvent, ReturnItem, ReturnRequest
from .people import CalendarException, LineSchedule, QueueSetting
from .promotions import News, NewsRead
from .ratings import RatingReminder, RatingReview
from .reports import ConversationFact, ReportDay, ReportDayTally
from .tasks import Task, TaskComment, TaskEvent
from .webhooks import WebhookDelivery, WebhookSubscription
from .withdrawals import WithdrawalRequest

__all__ = [
    "ApiKey",
    "Attachment",
    "AuditEntry",
    "BalanceEntry",
    "Base",
    "CalendarException",
    "ChannelContact",
    "ChannelDelivery",
    "ChannelInbound",
    "ContentVersion",
    "Conversation",
    "ConversationFact",
    "ConversationOperator",
    "CouponBan",
    "Customer",
    "CustomerCodeword",
    "CustomerComment",
    "CustomerPresence",
    "CustomerTombstone",
    "GiftCertificate",
    "IdentityCheck",
    "ImportCheckpoint",
    "LineSchedule",
    "LoginCode",
    "Message",
    "MetaValue",
    "News",
    "NewsRead",
    "Notification",
    "NotificationSetting",
    "Operator",
    "OperatorLine",
    "OperatorPresence",
    "OperatorRole",
    "OperatorSeller",
    "Order",
    "OrderItem",
    "OrderStatusEvent",
    "Product",
    "ProductNominal",
    "PushSubscription",
    "QueueSetting",
    "RatingReminder",
    "RatingReview",
    "ReportDay",
    "ReportDayTally",
    "ReturnItem",
    "ReturnRequest",
    "SecurityMessage",
    "Seller",
    "Session",
    "SlaBreach",
    "SlaWarning",
    "StaffNotice",
    "Stock",
    "SyncLink",
    "Task",
    "TaskComment",
    "TaskEvent",
    "TravelProfile",
    "Visitor",
    "Warehouse",
    "WebhookDelivery",
    "WebhookSubscription",
    "WithdrawalRequest",
    "utcnow",
]
