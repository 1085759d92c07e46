"""The call list PDF is rendered by the task worker: until it is ready the manager sees a page
(in their language) that follows the run, then the PDF."""

import re

from portal.tasks import runs


def test_the_page_follows_the_render_then_serves_the_pdf(app, client, db_session, world, login, no_worker):
    login(world.head_a)
    client.get("/lang/zh")
    first = client.get(f"/reminders/calls.pdf?office_id={world.office_a.id}&tier=gold")
    page = first.get_data(as_text=True)
    assert first.status_code == 202 and 'data-testid="call-list-preparing"' in page
    assert "PDF 正在生成" in page and world.office_a.name_zh in page
    assert f"/reminders/calls?office_id={world.office_a.id}" in page  # back to the list
    again = re.search(r'data-task-next="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert client.get(again).status_code == 202 and len(no_worker) == 1  # joined, not queued again
    with app.app_context():
        runs.execute(no_worker[0])
    done = client.get(again)
    assert done.status_code == 200 and done.data.startswith(b"%PDF")
    assert "call-list-" in done.headers["Content-Disposition"]
