"""Per-trip services on a priority request: which the agreement allows, and recording them."""

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import select

from portal.agreements.models import Agreement
from portal.errors import ValidationFailed
from portal.extensions import db
from portal.labels import label
from portal.stations.models import SERVICE_ENTITLEMENT, SERVICES, ServiceRequest


def clean_services(services: Iterable[str] | None) -> list[str]:
    """The asked services in SERVICES order, without repeats; unknown names are refused."""
    asked = {str(s).strip() for s in services or () if str(s).strip()}
    unknown = asked - set(SERVICES)
    if unknown:
        raise ValidationFailed(
            {"services": [_("Unknown services: %(names)s.", names=", ".join(sorted(unknown)))]}
        )
    return [name for name in SERVICES if name in asked]


def check_entitled(agreement: Agreement, services: list[str]) -> None:
    """Refuse, naming them, the services the agreement's entitlements do not include."""
    missing = [s for s in services if not getattr(agreement, SERVICE_ENTITLEMENT[s])]
    if missing:
        raise ValidationFailed(
            {
                "services": [
                    _(
                        "Your agreement %(number)s does not include %(services)s. "
                        "Your account manager can tell you what it covers.",
                        number=agreement.number,
                        services=", ".join(label(s, "service") for s in missing),
                    )
                ]
            }
        )


def add_services(request_id: int, services: list[str]) -> list[ServiceRequest]:
    """Record the services on the request (flushes)."""
    rows = [ServiceRequest(request_id=request_id, service=s) for s in services]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def services_of(request_ids: Iterable[int]) -> dict[int, list[ServiceRequest]]:
    """The services of each request, in SERVICES order."""
    ids = list(request_ids)
    result: dict[int, list[ServiceRequest]] = {i: [] for i in ids}
    if not ids:
        return result
    rows = db.session.scalars(select(ServiceRequest).where(ServiceRequest.request_id.in_(ids))).all()
    for row in sorted(rows, key=lambda r: (r.request_id, SERVICES.index(r.service))):
        result[row.request_id].append(row)
    return result
