"""The outcomes a finished task may record, and the customer's result texts."""

from __future__ import annotations

import pytest

from marketdesk.domain.coupon_ban import FRAUD_QUEUE
from marketdesk.domain.descriptions import DESCRIPTION_ERROR_QUEUE
from marketdesk.domain.privacy import check_outgoing_text
from marketdesk.domain.task_outcomes import (
    CUSTOMER_RESULTS_RU,
    OutcomeNotAllowed,
    OutcomeRequired,
    TaskOutcome,
    customer_result,
    outcome_for,
)
from marketdesk.domain.tasks import COMPLAINTS_QUEUE, TaskStatus

Out, S = TaskOutcome, TaskStatus


@pytest.mark.parametrize(
    ("queue", "status", "asked", "recorded"),
    [
        (FRAUD_QUEUE, S.DONE, Out.LIFTED, Out.LIFTED),
        (FRAUD_QUEUE, S.DONE, Out.KEPT, Out.KEPT),
        (FRAUD_QUEUE, S.REJECTED, None, Out.REJECTED),
        (FRAUD_QUEUE, S.REJECTED, Out.REJECTED, Out.REJECTED),
        (DESCRIPTION_ERROR_QUEUE, S.DONE, Out.CORRECTED, Out.CORRECTED),
        (DESCRIPTION_ERROR_QUEUE, S.REJECTED, None, Out.REJECTED),
        (COMPLAINTS_QUEUE, S.DONE, None, Out.DONE),
        (COMPLAINTS_QUEUE, S.DONE, Out.DONE, Out.DONE),
        (COMPLAINTS_QUEUE, S.IN_PROGRESS, None, None),
        (FRAUD_QUEUE, S.WAITING, None, None),
    ],
)
def test_the_recorded_outcome(queue, status, asked, recorded):
    assert outcome_for(queue, status, asked) == recorded


@pytest.mark.parametrize(
    ("queue", "status", "asked", "error"),
    [
        (FRAUD_QUEUE, S.DONE, None, OutcomeRequired),
        (FRAUD_QUEUE, S.DONE, Out.DONE, OutcomeNotAllowed),
        (FRAUD_QUEUE, S.DONE, Out.CORRECTED, OutcomeNotAllowed),
        (FRAUD_QUEUE, S.REJECTED, Out.LIFTED, OutcomeNotAllowed),
        (DESCRIPTION_ERROR_QUEUE, S.DONE, None, OutcomeRequired),
        (COMPLAINTS_QUEUE, S.DONE, Out.LIFTED, OutcomeNotAllowed),
        (COMPLAINTS_QUEUE, S.IN_PROGRESS, Out.DONE, OutcomeNotAllowed),
    ],
)
def test_refused_outcomes(queue, status, asked, error):
    with pytest.raises(error):
        outcome_for(queue, status, asked)


def test_every_result_text_passes_the_privacy_guard_and_names_the_task():
    for (queue, outcome), _template in CUSTOMER_RESULTS_RU.items():
        text = customer_result(
            queue or COMPLAINTS_QUEUE, "Жалобы клиентов", outcome, "CTASK-0000042"
        )
        assert "CTASK-0000042" in text
        assert check_outgoing_text(text) == (), text


def test_the_guard_would_refuse_a_result_that_named_the_intersections():
    leaked = "Ответ по заявке CTASK-0000042: пересечения этого аккаунта с другими: 2."
    assert check_outgoing_text(leaked) != ()


def test_a_queue_without_its_own_text_gets_the_general_one():
    text = customer_result(COMPLAINTS_QUEUE, "Жалобы клиентов", Out.DONE, "CTASK-0000007")
    assert text.startswith("Заявка CTASK-0000007 («Жалобы клиентов») выполнена.")
    refused = customer_result(FRAUD_QUEUE, "Фрод", Out.REJECTED, "CTASK-0000008")
    assert "отклонена" in refused
