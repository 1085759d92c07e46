"""Account review PDFs: the time for one review against the floor of WeasyPrint alone, and a
batch of 100 reviews on two cores.

A throwaway SQLite database under a temporary folder is migrated, seeded with the demo world
(small: `--companies`, one year) and scored. The company with the most segments in the last
complete quarter is reviewed:

- review: `review_context()` (all the queries and the pygal charts) + `render_context()` (the
  sandboxed, bounded WeasyPrint child), median of `--runs`;
- floor: the same review's finished HTML rendered by the same `portal.pdf.render_pdf` as a
  static page (no queries, no charts, no template logic), median of `--runs`;
- ratio review / floor (goal: at most 1.5);
- batch: `--batch` account reviews (companies in rank order, repeated as needed) in a process
  pool of 2, each worker with its own app and connection.

    .venv/bin/python bench/reviews.py
    .venv/bin/python bench/reviews.py --runs 7 --batch 100 --companies 40
"""

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_worker_app = None


def build_app(url: str, data_dir: str):
    from portal import create_app

    return create_app("testing", SQLALCHEMY_DATABASE_URI=url, PORTAL_DATA_DIR=data_dir)


def prepare(url: str, data_dir: str, companies: int) -> tuple[list[int], str]:
    """Schema, demo world, scores; returns company ids (most segments first) and the period."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from portal.demo import seed as demo
    from portal.extensions import db
    from portal.reviews.periods import last_complete_quarter
    from portal.scoring.operations import backfill
    from portal.segments.models import Segment
    from portal.timeutil import local_today

    app = build_app(url, data_dir)
    with app.app_context():
        upgrade()
        demo.seed_world(companies=companies, years=1, seed=7, progress=False)
        backfill(local_today(), 2)
        db.session.commit()
        period = last_complete_quarter(local_today())
        ids = list(
            db.session.scalars(
                select(Segment.company_id)
                .where(Segment.flight_date >= period.start, Segment.flight_date <= period.end)
                .group_by(Segment.company_id)
                .order_by(func.count().desc(), Segment.company_id)
            )
        )
        db.session.commit()
    return [i for i in ids if i is not None], period.code


def one_review(app, company_id: int, period: str, out: Path) -> float:
    from portal.extensions import db
    from portal.reviews import generation
    from portal.reviews.periods import parse

    start = time.perf_counter()
    with app.app_context():
        context = generation.review_context("account", parse(period), company_id=company_id)
        db.session.commit()
        generation.render_context(context, out)
    return time.perf_counter() - start


def static_html(app, company_id: int, period: str) -> str:
    """The finished HTML of the review (what WeasyPrint is given)."""
    from portal import pdf
    from portal.extensions import db
    from portal.reviews import generation
    from portal.reviews.periods import parse

    with app.app_context():
        context = generation.review_context("account", parse(period), company_id=company_id)
        db.session.commit()
    return pdf.sandboxed_environment(generation.TEMPLATE_DIR).get_template("account.html").render(**context)


def floor_render(folder: Path, html: str, out: Path) -> float:
    from markupsafe import Markup

    from portal import pdf

    start = time.perf_counter()
    pdf.render_pdf(folder, "static.html", {"html": Markup(html)}, out)
    return time.perf_counter() - start


def _init_worker(url: str, data_dir: str) -> None:
    global _worker_app
    _worker_app = build_app(url, data_dir)


def _batch_task(args) -> float:
    company_id, period, out = args
    return one_review(_worker_app, company_id, period, Path(out))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--companies", type=int, default=30)
    args = parser.parse_args()

    from portal.reviews.generation import TEMPLATE_DIR

    with tempfile.TemporaryDirectory(prefix="bench-reviews-") as tmp:
        tmp = Path(tmp)
        url = f"sqlite:///{tmp / 'bench.db'}"
        t0 = time.perf_counter()
        ids, period = prepare(url, str(tmp / "data"), args.companies)
        print(f"prepared {args.companies} companies in {time.perf_counter() - t0:.1f} s; period {period}")
        if not ids:
            print("no company flew in the period; nothing to review")
            return 1
        app = build_app(url, str(tmp / "data"))
        company = ids[0]
        one_review(app, company, period, tmp / "warm.pdf")  # warm caches, fonts

        floor_dir = tmp / "floor"
        floor_dir.mkdir()
        (floor_dir / "review.css").write_text((TEMPLATE_DIR / "review.css").read_text(encoding="utf-8"))
        (floor_dir / "static.html").write_text("{{ html }}", encoding="utf-8")
        html = static_html(app, company, period)

        reviews, floors = [], []
        for i in range(args.runs):  # interleaved, so load on the machine hits both alike
            reviews.append(one_review(app, company, period, tmp / f"r{i}.pdf"))
            floors.append(floor_render(floor_dir, html, tmp / f"f{i}.pdf"))
        review_s, floor_s = statistics.median(reviews), statistics.median(floors)
        size = (tmp / "r0.pdf").stat().st_size
        print(f"account review (company {company}, {len(html):,} chars of HTML, {size:,} bytes of PDF)")
        print(f"  review (data + charts + render), median of {args.runs}: {review_s * 1000:.0f} ms")
        print(f"  floor (same HTML, static, same renderer), median of {args.runs}: {floor_s * 1000:.0f} ms")
        ratio = review_s / floor_s
        print(f"  ratio review / floor: {ratio:.2f}x (goal <= 1.5x: {'met' if ratio <= 1.5 else 'NOT met'})")

        jobs = [(ids[i % len(ids)], period, str(tmp / f"b{i}.pdf")) for i in range(args.batch)]
        start = time.perf_counter()
        with ProcessPoolExecutor(2, initializer=_init_worker, initargs=(url, str(tmp / "data"))) as pool:
            times = list(pool.map(_batch_task, jobs))
        total = time.perf_counter() - start
        each = statistics.median(times) * 1000
        print(f"batch of {args.batch} account reviews, process pool of 2: {total:.1f} s")
        print(f"  {total / args.batch * 1000:.0f} ms a review wall-clock; median per review {each:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
