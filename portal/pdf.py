"""The shared PDF renderer: sandboxed Jinja templates laid out by WeasyPrint in a bounded child.

Every PDF of the portal (agreements, account and portfolio reviews, statements, call lists)
goes through `render_pdf()`. What it guarantees, and why (DESIGN §8, WeasyPrint's own list
of risks: file reads, SSRF, slow or endless layouts):

- **Templates run in a sandbox.** `ImmutableSandboxedEnvironment` with autoescape on: text
  from the database (a company name) is always printed as text, never read as HTML or CSS,
  and a template cannot reach Python internals. The loader only sees the template's folder.
- **Nothing is fetched unless it is allowed.** WeasyPrint's URL fetcher is replaced by one
  that denies by default: only `data:` URLs and files under the portal's `static/` folder or
  the template's own folder are served; http(s), ftp, any other file (``/etc/passwd``) and
  anything else raise, so the resource is simply missing from the PDF. Refused URLs are
  reported back in `RenderResult.refused`.
- **Time and memory are bounded.** Jinja and WeasyPrint run in a child process (this file,
  run by the same interpreter with ``-I``), which caps its address space (RLIMIT_AS) and CPU
  time before importing WeasyPrint; the parent kills it after `timeout` seconds.
- **Output is atomic.** The child writes a temporary file in the target folder and fsyncs
  it; only a complete PDF is moved into place with `os.replace`. A failed or killed render
  leaves no file behind.

The context must be plain data (str, numbers, Decimal, date/datetime, None, lists, tuples and
dicts of those): it is pickled to the child, and ORM objects would bring the database along.
`markupsafe.Markup` is allowed for trusted markup made by code (e.g. an SVG chart), never for
user text.

This module must stay importable without the `portal` package: the child runs it as a script.
"""

import hashlib
import json
import logging
import os
import pickle
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import wraps
from pathlib import Path

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
DEFAULT_TIMEOUT = 60.0  # seconds of wall-clock time for one render
DEFAULT_MEMORY = 1536 * 1024 * 1024  # bytes of address space for the child
# Only what fontconfig, pango and the interpreter need; secrets in the parent's environment
# (SECRET_KEY, DATABASE_URL, mail passwords) never reach the child.
_ENV_KEEP = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TMPDIR",
    "LD_LIBRARY_PATH",
    "FONTCONFIG_FILE",
    "FONTCONFIG_PATH",
)
_ENV_PREFIXES = ("XDG_",)


class RenderError(Exception):
    """The PDF could not be rendered (template error, crash, memory limit)."""


class RenderTimeout(RenderError):
    """The render took longer than its time limit and was killed."""


@dataclass(frozen=True)
class RenderResult:
    """What a successful render produced."""

    path: Path
    pages: int
    size_bytes: int
    sha256: str
    refused: list[str] = field(default_factory=list)


# --- template filters (plain functions: usable in the parent's tests and in the child) ---


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _dash_for_none(show):
    """`show`, but a dash for None: a missing amount or date still takes its place."""

    @wraps(show)
    def formatted(value) -> str:
        return "–" if value is None else show(value)

    return formatted


@_dash_for_none
def money(fen) -> str:
    """Fen as yuan with two decimals and thousands separators: 1234567 -> 12,345.67."""
    return f"{_decimal(fen) / 100:,.2f}"


@_dash_for_none
def whole_money(fen) -> str:
    """Fen as whole yuan: 1234567 -> 12,346."""
    return f"{(_decimal(fen) / 100).quantize(Decimal(1)):,}"


@_dash_for_none
def percent(value) -> str:
    """A percentage to two decimals at most, without needless zeros: Decimal('12.50') -> 12.5."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


@_dash_for_none
def cn_date(value) -> str:
    """A date the Chinese way: 2026年1月31日."""
    return f"{value.year}年{value.month}月{value.day}日"


@_dash_for_none
def en_date(value) -> str:
    """A date the English way: 31 January 2026."""
    return f"{value.day} {value.strftime('%B')} {value.year}"


FILTERS = {
    "money": money,
    "whole_money": whole_money,
    "percent": percent,
    "cn_date": cn_date,
    "en_date": en_date,
}


def sandboxed_environment(template_dir: str | os.PathLike):
    """The Jinja environment PDFs are rendered in: sandboxed, autoescaped, one folder."""
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(str(template_dir)),
        autoescape=True,
        undefined=StrictUndefined,  # a misspelt variable fails the render, not the contract
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


def _check_plain(value, where: str = "context") -> None:
    if value is None or isinstance(value, bool | int | float | str | Decimal | date | datetime):
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_plain(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: keys must be strings")
            _check_plain(item, f"{where}.{key}")
        return
    raise TypeError(f"{where} is a {type(value).__name__}; PDF contexts hold plain data only")


def _child_env() -> dict[str, str]:
    return {
        k: v for k, v in os.environ.items() if k in _ENV_KEEP or any(k.startswith(p) for p in _ENV_PREFIXES)
    }


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def render_pdf(
    template_dir: str | os.PathLike,
    template_name: str,
    context: dict,
    out_path: str | os.PathLike,
    *,
    base_url_dir: str | os.PathLike | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    memory_bytes: int = DEFAULT_MEMORY,
) -> RenderResult:
    """Render `template_name` from `template_dir` with `context` to a PDF at `out_path`.

    Relative URLs in the template resolve against `base_url_dir` (default: the template
    folder); only that folder, the template folder and `static/` can be read. Raises
    `RenderTimeout` after `timeout` seconds, `RenderError` on any other failure; in both
    cases no file is left at `out_path` or beside it. Call it with no database transaction
    open: it may take seconds.
    """
    template_dir = Path(template_dir).resolve()
    base_url_dir = Path(base_url_dir).resolve() if base_url_dir else template_dir
    out_path = Path(out_path)
    _check_plain(context)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".render-", suffix=".pdf.part", dir=out_path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    job = {
        "template_dir": str(template_dir),
        "template_name": template_name,
        "context": context,
        "base_url_dir": str(base_url_dir),
        "allowed_dirs": sorted({str(STATIC_DIR.resolve()), str(template_dir), str(base_url_dir)}),
        "out_path": str(tmp),
        "memory_bytes": int(memory_bytes),
        "cpu_seconds": int(timeout) + 5,
    }
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", str(Path(__file__).resolve())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_child_env(),
            cwd=str(template_dir),
            close_fds=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = proc.communicate(pickle.dumps(job), timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            log.warning("PDF render of %s killed after %.1f s", template_name, timeout)
            raise RenderTimeout(f"rendering {template_name} took longer than {timeout:g} s") from None
        if stderr:
            log.info("PDF render of %s: %s", template_name, stderr.decode("utf-8", "replace")[-2000:])
        try:
            report = json.loads(stdout.decode("utf-8") or "{}")
        except ValueError:
            report = {}
        if proc.returncode != 0 or "pages" not in report:
            reason = report.get("error") or (
                f"the renderer was killed by signal {-proc.returncode} (memory or CPU limit?)"
                if proc.returncode < 0
                else f"the renderer exited with status {proc.returncode}"
            )
            raise RenderError(f"rendering {template_name} failed: {reason}")
        digest = hashlib.sha256()
        with open(tmp, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        size = tmp.stat().st_size
        os.replace(tmp, out_path)
        _fsync_dir(out_path.parent)
        return RenderResult(
            path=out_path,
            pages=int(report["pages"]),
            size_bytes=size,
            sha256=digest.hexdigest(),
            refused=list(report.get("refused", [])),
        )
    finally:
        tmp.unlink(missing_ok=True)


# --- the child process ------------------------------------------------------------------


def _child_fetcher(allowed_dirs: list[str]):
    """A WeasyPrint URL fetcher that serves data: URLs and files under `allowed_dirs` only."""
    import mimetypes
    from urllib.parse import urlsplit
    from urllib.request import url2pathname

    from weasyprint.urls import URLFetcher, URLFetcherResponse

    roots = [os.path.realpath(d) for d in allowed_dirs]

    class DenyByDefaultFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols=("data",), allow_redirects=False, timeout=1)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                parts = urlsplit(url)
                path = os.path.realpath(url2pathname(parts.path))
                inside = any(path.startswith(root + os.sep) for root in roots)
                if parts.netloc in ("", "localhost") and inside and os.path.isfile(path):
                    with open(path, "rb") as f:
                        body = f.read()
                    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, body=body, headers={"Content-Type": kind})
            self.refused.append(url[:300])
            raise PermissionError(f"fetching {url[:100]} is not allowed while rendering")

        def open(self, url, data=None, timeout=None):  # never let urllib reach the network
            return self.fetch(url if isinstance(url, str) else url.full_url)

    return DenyByDefaultFetcher()


def _child_main() -> int:
    """Render one job read (pickled) from stdin; report as JSON on stdout."""
    import resource

    job = pickle.load(sys.stdin.buffer)
    # Limits first, before WeasyPrint and its libraries are loaded.
    resource.setrlimit(resource.RLIMIT_AS, (job["memory_bytes"], job["memory_bytes"]))
    resource.setrlimit(resource.RLIMIT_CPU, (job["cpu_seconds"], job["cpu_seconds"]))
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    try:
        from weasyprint import HTML
        from weasyprint.urls import path2url

        html = sandboxed_environment(job["template_dir"]).get_template(job["template_name"])
        markup = html.render(**job["context"])
        fetcher = _child_fetcher(job["allowed_dirs"])
        base_url = path2url(job["base_url_dir"].rstrip("/") + "/")
        document = HTML(string=markup, base_url=base_url, url_fetcher=fetcher).render()
        with open(job["out_path"], "wb") as f:
            document.write_pdf(f)
            f.flush()
            os.fsync(f.fileno())
    except MemoryError:
        print(json.dumps({"error": "out of memory"}))
        return 3
    except Exception as e:  # reported to the parent, which raises RenderError
        print(json.dumps({"error": f"{type(e).__name__}: {str(e)[:500]}"}))
        return 2
    print(json.dumps({"pages": len(document.pages), "refused": fetcher.refused}))
    return 0


if __name__ == "__main__":
    sys.exit(_child_main())
