"""Two people save the same chapter or point at once: one wins, the other is refused and nothing
is overwritten. Runs on whichever database the suite uses (SQLite and PostgreSQL in CI)."""

import threading

import pytest
from django.db import connection

from tests.factories import ChapterFactory, ContestedPointFactory
from workinggroups.models import Chapter, ChapterStatusChange, ContestedPoint
from workinggroups.services import (
    EditConflict,
    change_chapter_status,
    resolve_contested_point,
    update_contested_point,
)

pytestmark = pytest.mark.django_db(transaction=True)


def race(*actions):
    """Run the actions in threads released together; return what each raised or returned."""
    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait()
            results[index] = action()
        except Exception as error:  # reported to the test, which asserts on it
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_two_simultaneous_status_changes_one_is_refused():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # Shared-cache memory databases fail at once instead of waiting for the lock; the
        # sequential tests below cover SQLite, this one the real race on PostgreSQL.
        pytest.skip("threads need a database file or server")
    chapter = ChapterFactory(status="under_negotiation")
    results = race(
        lambda: change_chapter_status(
            chapter=Chapter.objects.get(pk=chapter.pk),
            to_status="agreed",
            note="A",
            expected_version=1,
        ),
        lambda: change_chapter_status(
            chapter=Chapter.objects.get(pk=chapter.pk),
            to_status="agreed_in_principle",
            note="B",
            expected_version=1,
        ),
    )
    refused = [r for r in results if isinstance(r, EditConflict)]
    saved = [r for r in results if isinstance(r, ChapterStatusChange)]
    assert (len(saved), len(refused)) == (1, 1), results
    chapter.refresh_from_db()
    assert chapter.version == 2
    assert chapter.status == saved[0].to_status
    assert refused[0].current.version == 2
    assert ChapterStatusChange.objects.filter(chapter=chapter).count() == 1


def test_a_stale_point_edit_is_refused_and_overwrites_nothing():
    point = ContestedPointFactory(title="Original")
    update_contested_point(point=point, title="First", expected_version=1)
    with pytest.raises(EditConflict) as conflict:
        update_contested_point(point=point, title="Second", expected_version=1)
    assert conflict.value.current.title == "First"
    with pytest.raises(EditConflict):
        resolve_contested_point(point=point, expected_version=1)
    point.refresh_from_db()
    assert (point.title, point.state, point.version) == ("First", "open", 2)


def test_the_version_check_holds_in_the_update_itself():
    """Even if two saves both read version 1, the conditional UPDATE lets only one through."""
    point = ContestedPointFactory()
    ContestedPoint.objects.filter(pk=point.pk).update(version=2)  # saved by someone meanwhile
    with pytest.raises(EditConflict):
        update_contested_point(point=point, title="Late", expected_version=1)
    assert ContestedPoint.objects.get(pk=point.pk).title == point.title
