"""Imports every model so the metadata is whole (for Alembic and the app)."""

from portal.agreements.models import Agreement, AgreementDiscount, AgreementEvent, IncentiveTier
from portal.alerts.models import Alert
from portal.api.models import ApiClient, WebhookDelivery, WebhookSubscription
from portal.audit.models import AuditEvent
from portal.auth.models import LoginAttempt, User
from portal.companies.models import (
    Company,
    Contact,
    Document,
    DocumentVersion,
    Interaction,
    ManagerAssignment,
    Traveller,
)
from portal.imports.models import ImportBatch
from portal.jobs.models import JobLock, JobRun
from portal.mail.models import OutboundEmail
from portal.notifications.models import Notification
from portal.org.models import Branch, SalesOffice
from portal.pipeline.models import Opportunity, OpportunityStageChange
from portal.quotas.models import PriorityRequest, Quota
from portal.reminders.models import Reminder
from portal.rendering.models import RenderSlot
from portal.reviews.models import Review
from portal.scoring.models import ScoreSnapshot, ScoringConfig
from portal.segments.models import Segment, SegmentMonth
from portal.stations.models import ServiceRequest, Station, VipNotice
from portal.surveys.models import Survey, SurveyResponse
from portal.tasks.models import TaskRun

__all__ = [
    "Agreement",
    "Alert",
    "ApiClient",
    "AgreementDiscount",
    "AgreementEvent",
    "AuditEvent",
    "Branch",
    "Company",
    "Contact",
    "Document",
    "DocumentVersion",
    "ImportBatch",
    "IncentiveTier",
    "Interaction",
    "JobLock",
    "JobRun",
    "LoginAttempt",
    "ManagerAssignment",
    "Notification",
    "OutboundEmail",
    "Opportunity",
    "OpportunityStageChange",
    "PriorityRequest",
    "Quota",
    "Reminder",
    "RenderSlot",
    "Review",
    "SalesOffice",
    "ScoreSnapshot",
    "ScoringConfig",
    "Segment",
    "SegmentMonth",
    "ServiceRequest",
    "Station",
    "VipNotice",
    "Survey",
    "SurveyResponse",
    "TaskRun",
    "Traveller",
    "User",
    "WebhookDelivery",
    "WebhookSubscription",
]
