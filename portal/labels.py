"""Translated labels for the coded values stored in the database (tiers, roles, statuses)."""

from functools import lru_cache

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _p

from portal.i18n import current_language

LABELS = {
    "role": {
        "admin": _l("Administrator"),
        "management": _l("Management"),
        "branch_head": _l("Branch head"),
        "account_manager": _l("Account manager"),
        "booker": _l("Travel booker"),
        "station": _l("Station staff"),
    },
    "tier": {
        "platinum": _l("Platinum"),
        "gold": _l("Gold"),
        "silver": _l("Silver"),
        "standard": _l("Standard"),
    },
    "activity_status": {
        "active": _l("Active"),
        "sleeping": _l("Sleeping"),
        "lost": _l("Lost"),
    },
    "company_status": {
        "prospect": _l("Prospect"),
        "active": _p("company status", "Active"),
        "suspended": _l("Suspended"),
        "closed": _l("Closed"),
    },
    "agreement_status": {
        "draft": _l("Draft"),
        "pending_approval": _l("Pending approval"),
        "active": _p("agreement status", "Active"),
        "expired": _l("Expired"),
        "terminated": _l("Terminated"),
    },
    "industry": {
        "government": _l("Government"),
        "energy": _l("Energy"),
        "finance": _l("Finance"),
        "technology": _l("Technology"),
        "manufacturing": _l("Manufacturing"),
        "telecom": _l("Telecommunications"),
        "construction": _l("Construction"),
        "pharma": _l("Pharmaceuticals"),
        "education": _l("Education"),
        "media": _l("Media"),
        "logistics": _l("Logistics"),
        "retail": _l("Retail"),
        "consulting": _l("Consulting"),
        "automotive": _l("Automotive"),
    },
    "cabin": {
        "F": _l("First"),
        "C": _l("Business"),
        "W": _l("Premium economy"),
        "Y": _l("Economy"),
    },
    "contact_role": {
        "travel_manager": _l("Travel manager"),
        "finance": _p("contact role", "Finance"),
        "decision_maker": _l("Decision maker"),
        "other": _l("Other"),
    },
    "member_tier": {
        "none": _l("Not a member"),
        "silver": _l("Silver card"),
        "gold": _l("Gold card"),
        "platinum": _l("Platinum card"),
        "lifetime_platinum": _l("Lifetime platinum"),
    },
    "seat_preference": {
        "none": _l("No preference"),
        "window": _l("Window"),
        "aisle": _l("Aisle"),
        "front": _l("Front rows"),
        "exit_row": _l("Exit row"),
    },
    "meal_preference": {
        "none": _l("No preference"),
        "vegetarian": _l("Vegetarian"),
        "muslim": _l("Muslim"),
        "diabetic": _l("Diabetic"),
        "low_salt": _l("Low salt"),
        "child": _l("Child meal"),
    },
    "discount_scope": {
        "domestic": _l("Domestic"),
        "international": _l("International"),
        "city_pair": _l("City pair"),
    },
    "interaction_kind": {
        "visit": _l("Visit"),
        "call": _l("Call"),
        "email": _p("interaction kind", "Email"),
        "meeting": _l("Meeting"),
        "feedback": _l("Feedback"),
        "complaint": _l("Complaint"),
    },
    "complaint_status": {
        "open": _l("Open"),
        "in_progress": _l("In progress"),
        "resolved": _l("Resolved"),
    },
    "timeline_type": {
        "agreement": _l("Agreement"),
        "tier": _l("Tier change"),
        "manager": _l("Manager change"),
        "opportunity": _l("Opportunity"),
        "status": _l("Status change"),
    },
    "opportunity_kind": {
        "new_account": _l("New account"),
        "renewal": _l("Renewal"),
        "upsell": _l("Upsell"),
    },
    "opportunity_stage": {
        "lead": _l("Lead"),
        "qualified": _l("Qualified"),
        "proposal": _l("Proposal"),
        "negotiation": _l("Negotiation"),
        "won": _l("Won"),
        "lost": _p("opportunity stage", "Lost"),
    },
    "lost_reason": {
        "price": _l("Price"),
        "competitor": _l("Went to a competitor"),
        "no_budget": _l("No budget"),
        "no_need": _l("No need"),
        "timing": _l("Timing"),
        "other": _l("Other reason"),
    },
    "id_document_type": {
        "id_card": _l("Resident identity card"),
        "passport": _l("Passport"),
        "hk_macau_permit": _l("Hong Kong and Macau travel permit"),
        "taiwan_permit": _l("Taiwan travel permit"),
        "other": _l("Other document"),
    },
    "document_kind": {
        "licence": _l("Business licence"),
        "agreement": _l("Agreement"),
        "signed_scan": _l("Signed scan"),
        "minutes": _l("Meeting minutes"),
        "other": _l("Other"),
    },
    "reminder_kind": {
        "revisit": _l("Revisit"),
        "reactivation": _l("Reactivation visit"),
        "follow_up": _l("Follow-up"),
        "agreement_expiry": _l("Agreement expiry"),
    },
    "request_status": {
        "confirmed": _l("Confirmed"),
        "waitlisted": _l("Waitlisted"),
        "cancelled": _l("Cancelled"),
        "expired": _l("Expired"),
    },
    "task_status": {
        "queued": _l("Queued"),
        "running": _l("Running"),
        "done": _l("Done"),
        "failed": _l("Failed"),
    },
    "task_name": {
        "imports.run": _l("Import of an uploaded file"),
        "reviews.render": _l("Rendering queued reviews"),
        "jobs.run": _l("A scheduled job, run by hand"),
        "mail.send": _l("Sending the mail outbox"),
        "webhooks.deliver": _l("Delivering webhook events"),
    },
    "review_status": {
        "queued": _l("Queued"),
        "running": _l("Being generated"),
        "done": _l("Ready"),
        "failed": _l("Failed"),
    },
    "notification_kind": {
        "company_assigned": _l("Company assigned to you"),
        "company_handed_over": _l("Company handed over"),
        "quota_confirmed": _l("Seat confirmed"),
        "quota_waitlisted": _l("Request waitlisted"),
        "quota_promoted": _l("Seat confirmed from the waitlist"),
        "quota_expired": _l("Waitlisted request expired"),
        "feedback_received": _l("Feedback from a company"),
        "revisit_escalated": _l("Overdue revisit escalated"),
        "survey_detractor": _l("A detractor answered a survey"),
        "roster_flagged": _l("Travel by people off the roster"),
    },
    "survey_reason": {
        "quarterly": _l("Quarterly survey"),
        "complaint": _l("After a resolved complaint"),
    },
    "alert_kind": {
        "churn": _l("Churn risk"),
        "roster": _l("Roster compliance"),
    },
    "audit_action": {
        "create": _l("Created"),
        "update": _l("Changed"),
        "delete": _l("Deleted"),
        "refused": _l("Access refused"),
        "reveal": _l("Number revealed"),
        "move": _l("Companies moved"),
        "handover": _l("Portfolio handed over"),
    },
    "audit_entity": {
        "company": _l("Company"),
        "user": _l("User account"),
        "branch": _l("Branch"),
        "sales_office": _l("Sales office"),
        "contact": _l("Contact"),
        "traveller": _l("Traveller"),
        "interaction": _l("Interaction"),
        "document": _l("Document"),
        "agreement": _l("Agreement"),
        "reminder": _l("Reminder"),
        "opportunity": _l("Opportunity"),
        "manager_assignment": _l("Manager assignment"),
        "priority_request": _l("Priority request"),
        "quota": _l("Quota"),
        "review": _l("Review"),
        "request": _l("Web request"),
    },
    "entitlement": {
        "priority_booking": _l("Priority booking"),
        "waitlist_priority": _l("Waitlist priority"),
        "lounge": _l("Lounge access"),
        "fast_track": _l("Fast track"),
        "extra_baggage": _l("Extra baggage"),
        "dedicated_hotline": _l("Dedicated hotline"),
        "ticket_pickup": _l("Airport ticket pick-up"),
        "checkin_help": _l("Check-in and baggage help"),
        "escort": _l("Escort through the airport"),
    },
    # Per-trip services of a priority request (the VIP service notice lists them).
    "service": {
        "ticket_pickup": _l("Airport ticket pick-up"),
        "checkin_help": _l("Check-in and baggage help"),
        "escort": _l("Escort through the airport"),
        "lounge": _l("Lounge access"),
        "fast_track": _l("Fast track"),
        "extra_baggage": _l("Extra baggage"),
    },
    "vip_level": {
        "none": _l("Not a VIP"),
        "vip": _l("VIP"),
        "vvip": _l("VVIP"),
    },
    "service_need": {
        "wheelchair": _l("Wheelchair"),
        "special_meal": _l("Special meal"),
        "escort": _l("Escort"),
        "language": _l("Language assistance"),
    },
    # The terms an agreement's history names when they change (operations.plain_terms).
    "agreement_term": {
        "valid_from": _l("Valid from"),
        "valid_to": _l("Valid to (last day)"),
        "commitment_revenue_fen": _l("Committed revenue a year (CNY)"),
        "commitment_segments": _l("Committed segments a year"),
        "discounts": _l("Discounts"),
        "tiers": _l("Incentive tiers"),
        "entitlements": _l("Entitlements"),
        "internal_notes": _l("Internal notes"),
    },
    "headcount_band": {
        "1-99": _l("Under 100 staff"),
        "100-499": _l("100–499 staff"),
        "500-1999": _l("500–1,999 staff"),
        "2000-9999": _l("2,000–9,999 staff"),
        "10000+": _l("10,000+ staff"),
    },
}


def label(value, kind: str) -> str:
    """The translated label of a coded value; the value itself when it has none."""
    if value is None:
        return "–"
    return _translated(current_language(), kind, value)


@lru_cache(maxsize=4096)
def _translated(language: str | None, kind: str, value) -> str:
    # Pages show hundreds of labels; the catalogue lookup per label is worth caching by language.
    return str(LABELS.get(kind, {}).get(value, value))


def choices(kind: str) -> list[tuple[str, str]]:
    """(value, label) pairs for a select field."""
    return [(value, str(text)) for value, text in LABELS[kind].items()]
