"""Agreement documents: contract template versions, the PDF context, stored files and uploads.

Files live under PORTAL_DATA_DIR/documents (outside static/) with generated names; their
type comes from their content, never from the name or the browser's claim.
"""

import json
import re
from datetime import date
from functools import lru_cache
from pathlib import Path

from flask_babel import gettext as _

from portal import files, pdf
from portal.agreements.models import Agreement
from portal.files import StoredFile

CONTRACTS_DIR = Path(__file__).resolve().parents[2] / "contracts"
TEMPLATE_FOLDER = re.compile(r"^agreement-v(\d+)$")
SCAN_MAX_BYTES = 10 * 1024 * 1024
RENDER_TIMEOUT = 60.0

# The content types a signed scan may have (portal.files tells them by the first bytes), and
# their extensions.
SCAN_TYPES = ("application/pdf", "image/png", "image/jpeg", "image/tiff")
EXTENSIONS = {content_type: files.EXTENSIONS[content_type] for content_type in SCAN_TYPES}


# --- template versions -------------------------------------------------------------------


def template_versions() -> list[str]:
    """The agreement template versions in contracts/, oldest first (agreement-v1, -v2, ...)."""
    found = []
    for entry in CONTRACTS_DIR.iterdir():
        match = TEMPLATE_FOLDER.match(entry.name)
        if match and (entry / "manifest.json").is_file():
            found.append((int(match.group(1)), entry.name))
    return [name for _n, name in sorted(found)]


def current_template() -> str:
    """The newest template version: new documents are rendered with it."""
    versions = template_versions()
    if not versions:
        raise RuntimeError(f"no agreement template in {CONTRACTS_DIR}")
    return versions[-1]


@lru_cache(maxsize=8)
def manifest(version: str) -> dict:
    """The manifest of a template version (entry template, carrier details)."""
    if not TEMPLATE_FOLDER.match(version):
        raise ValueError(f"not a template version: {version!r}")
    with open(CONTRACTS_DIR / version / "manifest.json", encoding="utf-8") as f:
        return json.load(f)


# --- the PDF -----------------------------------------------------------------------------


def agreement_context(agreement: Agreement, *, version: str, today: date) -> dict:
    """Plain data the contract template prints (never internal notes)."""
    company = agreement.company
    manager = company.manager
    meta = manifest(version)
    return {
        "template_version": version,
        "generated_on": today,
        "carrier": dict(meta["carrier"]),
        "agreement": {
            "number": agreement.number,
            "status": agreement.status,
            "valid_from": agreement.valid_from,
            "valid_to": agreement.valid_to,
            "commitment_revenue_fen": agreement.commitment_revenue_fen,
            "commitment_segments": agreement.commitment_segments,
            "renewed_from_number": agreement.renewed_from.number if agreement.renewed_from else None,
        },
        "company": {
            "name_zh": company.name_zh,
            "name_en": company.name_en,
            "credit_code": company.credit_code,
            "city": company.city,
            "address": company.address,
        },
        "discounts": [
            {
                "scope": d.scope,
                "origin": d.origin,
                "destination": d.destination,
                "cabin": d.cabin,
                "percent": d.percent,
            }
            for d in agreement.discounts
        ],
        "tiers": [
            {"threshold": t.threshold_percent, "rebate": t.rebate_percent} for t in agreement.incentive_tiers
        ],
        "entitlements": list(agreement.entitlements),
        "manager": (
            {"name": manager.name, "phone": manager.phone, "email": manager.email}
            if manager is not None
            else None
        ),
    }


def render_agreement_pdf(version: str, context: dict, *, timeout: float = RENDER_TIMEOUT) -> StoredFile:
    """Render the agreement PDF into the documents folder (no database work: call it with no
    transaction open). Raises portal.pdf.RenderError."""
    folder = CONTRACTS_DIR / version
    stored_name = new_stored_name("pdf")
    result = pdf.render_pdf(
        folder, manifest(version)["entry"], context, documents_dir() / stored_name, timeout=timeout
    )
    return StoredFile(stored_name, result.size_bytes, result.sha256, "application/pdf")


# --- stored files (the generic part lives in portal.files) --------------------------------

documents_dir = files.documents_dir
new_stored_name = files.new_stored_name
stored_path = files.stored_path
remove_stored = files.remove_stored


def save_upload(stream, *, max_bytes: int | None = None) -> StoredFile:
    """Store an uploaded signed scan after checking its size and content type (a failed upload
    leaves nothing behind). Raises ValidationFailed (field "file")."""
    return files.save_stream(
        stream,
        allowed=frozenset(EXTENSIONS),
        max_bytes=max_bytes or SCAN_MAX_BYTES,
        refused_message=_(
            "The file is not a PDF, PNG, JPEG or TIFF scan (its content was checked, not its name)."
        ),
    )


def clean_filename(name: str | None) -> str:
    """An uploaded file's name for display only: no path, no control characters, bounded."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"<>]", "", name).strip()
    return name[:200] or "scan"


def download_name(number: str, kind: str, version: int, content_type: str) -> str:
    """A safe ASCII file name for Content-Disposition, e.g. AG2026-00012-01-v3.pdf."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", number)[:40]
    suffix = "" if kind == "agreement" else "-signed"
    ext = EXTENSIONS.get(content_type, "pdf" if content_type == "application/pdf" else "bin")
    return f"{stem}{suffix}-v{version}.{ext}"
