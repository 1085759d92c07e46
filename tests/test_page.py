"""portal.db.Page: the numbers the pagination macro shows, as Flask-SQLAlchemy's pagination gives them."""

from portal.db import Page


def page_of(total: int, number: int, per_page: int = 25) -> Page:
    items = list(range(total))[(number - 1) * per_page : number * per_page]
    return Page(items, total, page=number, per_page=per_page)


def test_page_numbers_show_the_edges_and_the_pages_around_this_one():
    page = page_of(500, 7)
    assert list(page.iter_pages()) == [1, 2, None, 5, 6, 7, 8, 9, 10, 11, None, 19, 20]
    bar = dict(left_edge=1, left_current=2, right_current=3, right_edge=1)
    assert list(page.iter_pages(**bar)) == [1, None, 5, 6, 7, 8, 9, 10, None, 20]
    assert list(page_of(60, 2).iter_pages(**bar)) == [1, 2, 3]
    assert list(page_of(0, 1).iter_pages(**bar)) == []


def test_neighbours_and_item_numbers():
    first, middle, last, past = page_of(60, 1), page_of(60, 2), page_of(60, 3), page_of(60, 4)
    assert (first.pages, first.has_prev, first.prev_num, first.next_num) == (3, False, None, 2)
    assert (middle.prev_num, middle.next_num, middle.first, middle.last) == (1, 3, 26, 50)
    assert (last.has_next, last.next_num, last.first, last.last) == (False, None, 51, 60)
    assert (past.items, past.first, past.last, past.total) == ([], 0, 0, 60)
    assert list(middle) == list(range(25, 50))
