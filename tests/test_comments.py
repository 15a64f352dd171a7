"""Comments: Markdown-lite rendered safely, @mentions only of people who may see the item, edits
by their author for 15 minutes with the earlier text kept, and the @ suggestions."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.conftest import KR_CLEARANCES, US_CLEARANCES
from tracker import comment_text, comments, roles
from tracker.models import CommentEdit, Marking, Mention, UpdateKind, Watch
from tracker.workflow import WorkflowError


@pytest.fixture
def people(user_factory):
    return {
        "owner": user_factory("us-owner", role=roles.OWNERS, clearances=US_CLEARANCES),
        "us-reader": user_factory("us-reader", clearances=US_CLEARANCES),
        "kr-reader": user_factory("kr-reader", country="KR", clearances=KR_CLEARANCES),
        "reader": user_factory("reader"),
    }


@pytest.fixture
def item(item_factory, people):
    return item_factory("us-plan", owner=people["owner"], marking=Marking.US_ONLY)


# --- Rendering ------------------------------------------------------------------------------------


def test_links_lists_and_emphasis_render_and_html_is_shown_as_text():
    html = comment_text.render(
        "See **this** and *that*: https://example.org/a?b=1\n\n- one\n- two\n\n"
        "<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    )
    assert "<strong>this</strong>" in html and "<em>that</em>" in html
    assert '<a href="https://example.org/a?b=1" rel="noopener noreferrer nofollow">' in html
    assert "<ul>\n<li>one</li>" in html
    assert "&lt;script&gt;" in html and "<script" not in html and "<img" not in html
    assert 'href="javascript' not in html


def test_only_the_people_a_comment_mentions_are_marked():
    html = comment_text.render(
        "@us-owner and @nobody, `@us-owner`", mentioned=frozenset({"us-owner"})
    )
    assert html.count('class="mention"') == 1 and "<code>@us-owner</code>" in html


TAG = re.compile(r"<(/?)([a-zA-Z0-9]+)([^>]*)>")


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(list("<>\"'&*_-[]()`:/\\@ \n.=abcjsvriptonerolhf1")), max_size=200
    )
    | st.text(max_size=200)
)
def test_no_comment_renders_a_tag_attribute_or_link_outside_the_allowlist(text):
    html = comment_text.render(text, mentioned=frozenset({"a"}))
    for _closing, tag, attributes in TAG.findall(html):
        assert tag in comment_text.ALLOWED_TAGS, tag
        names = re.findall(r"\s([a-zA-Z-]+)=", attributes)
        assert set(names) <= {"href", "rel", "class"}, attributes
    for href in re.findall(r'href="([^"]*)"', html):
        assert re.match(r"(https?|mailto):", href, re.I), href


# --- Posting, mentions and watching ---------------------------------------------------------------


def test_a_mention_tells_only_someone_who_may_see_the_item_and_they_follow_it(item, people, now):
    posted = comments.post_comment(
        item=item, by=people["owner"], text="@us-reader @kr-reader @ghost please check", now=now
    )
    assert [p.username for p in posted.mentioned] == ["us-reader"]
    # An uncleared person and a name nobody has read the same: nothing tells them apart.
    assert posted.not_told == ["kr-reader", "ghost"]
    assert list(Mention.objects.values_list("user__username", flat=True)) == ["us-reader"]
    following = set(Watch.objects.values_list("user__username", "via"))
    assert following == {("us-owner", Watch.WATCHED), ("us-reader", Watch.MENTIONED)}


def test_only_those_who_may_update_comment_and_empty_comments_are_refused(item, people, now):
    with pytest.raises(WorkflowError, match="may not comment"):
        comments.post_comment(item=item, by=people["us-reader"], text="hello", now=now)
    with pytest.raises(WorkflowError, match="note is required"):
        comments.post_comment(item=item, by=people["owner"], text="   ", now=now)
    assert not item.updates.exists()


def test_the_comment_page_posts_renders_and_says_who_was_not_told(client, item, people):
    client.force_login(people["owner"])
    response = client.post(
        f"/items/{item.key}/comment/",
        {"comment-text": "**Done** @us-reader @kr-reader"},
        follow=True,
    )
    page = response.content.decode()
    assert "Comment posted." in page and "Nobody was told for @kr-reader" in page
    assert "<strong>Done</strong>" in page and '<span class="mention">@us-reader</span>' in page
    assert "mentions.js" in page and 'data-mention-url="/items/us-plan/people/"' in page


def test_the_author_edits_within_15_minutes_and_the_earlier_text_is_kept(
    item, people, now, user_factory
):
    update = comments.post_comment(item=item, by=people["owner"], text="First @us-reader", now=now)
    update = update.update
    edited = comments.edit_comment(
        update=update, by=people["owner"], text="Second", now=now + dt.timedelta(minutes=14)
    )
    update.refresh_from_db()
    assert update.note == "Second" and edited.mentioned == []
    assert list(CommentEdit.objects.values_list("note", flat=True)) == ["First @us-reader"]
    assert not Mention.objects.exists()  # the name taken out tells nobody
    with pytest.raises(WorkflowError, match="15 minutes"):
        comments.edit_comment(
            update=update, by=people["owner"], text="Third", now=now + dt.timedelta(minutes=15)
        )
    coordinator = user_factory("coord", role=roles.COORDINATORS, clearances=US_CLEARANCES)
    with pytest.raises(WorkflowError, match="Only its author"):
        comments.edit_comment(update=update, by=coordinator, text="Mine", now=now)


def test_an_edited_comment_shows_its_earlier_versions(client, item, people):
    client.force_login(people["owner"])
    client.post(f"/items/{item.key}/comment/", {"comment-text": "Draft wording"})
    update = item.updates.get(kind=UpdateKind.COMMENT)
    response = client.post(
        f"/items/{item.key}/comments/{update.pk}/edit/", {"edit-text": "Final wording"}, follow=True
    )
    page = response.content.decode()
    assert "Comment edited." in page and "Final wording" in page
    assert "Earlier versions" in page and "Draft wording" in page


def test_suggestions_offer_only_people_who_may_see_the_item(item, people):
    client = Client()
    client.force_login(people["owner"])
    found = client.get(f"/items/{item.key}/people/?q=us").json()["people"]
    assert [p["username"] for p in found] == ["us-owner", "us-reader"]
    assert client.get(f"/items/{item.key}/people/?q=kr").json() == {"people": []}
    client.force_login(people["us-reader"])  # may see, may not comment
    assert client.get(f"/items/{item.key}/people/?q=us").status_code == 403
    client.force_login(people["kr-reader"])  # may not see: as if it did not exist
    assert client.get(f"/items/{item.key}/people/?q=us").status_code == 404


def test_a_comment_carries_a_file_of_evidence_attached_to_it(client, item, people):
    client.force_login(people["owner"])
    pdf = SimpleUploadedFile("annex.pdf", b"%PDF-1.7 the signed annex")
    response = client.post(
        f"/items/{item.key}/comment/", {"comment-text": "Annex attached", "comment-file": pdf}
    )
    assert response.status_code == 302
    update = item.updates.get(kind=UpdateKind.COMMENT)
    assert [e.name for e in update.evidence.all()] == ["annex.pdf"]
    refused = client.post(
        f"/items/{item.key}/comment/",
        {"comment-text": "Bad file", "comment-file": SimpleUploadedFile("x.pdf", b"MZ")},
    )
    assert refused.status_code == 400 and item.updates.count() == 1
