"""Show moved leads: the button under a final reply where a move or copy moved leads and the channel offers their
e-mails, the line that says where to see them where it does not, and the list, escaped, for the one who pressed."""

from __future__ import annotations

from dataclasses import replace

from bot.slack.blocks import moved_leads_messages as shown
from storage.channel_settings import DEFAULT, ChannelSettings
from storage.models import Phase
from tests.factories import a_record, an_order, campaign, lead_list

DONE = a_record(
    order=an_order(source=campaign("c1", "Acme"), destination=lead_list("l1", "Warm"), limit=100),
    phase=Phase.DONE,
    status="success",
    progress=100,
    moved_leads=42,
    instantly_job_id="job-1",
)
HIDING = ChannelSettings(show_sample=False)


def test_a_finished_move_with_leads_offers_the_button_carrying_its_job() -> None:
    button = shown.show_button(DONE, DEFAULT)
    assert button is not None
    assert (button["action_id"], button["value"]) == (shown.SHOW_MOVED_LEADS, str(DONE.id))
    assert shown.withheld_line(DONE, DEFAULT) is None


def test_nothing_moved_a_followed_job_and_a_cancelled_one_offer_nothing() -> None:
    for record in (
        replace(DONE, moved_leads=0),
        replace(DONE, order=None),
        replace(DONE, status="cancelled"),
        replace(DONE, status="failed", moved_leads=None),
        replace(DONE, instantly_job_id=None),
    ):
        assert shown.show_button(record, DEFAULT) is None
        assert shown.withheld_line(record, HIDING) is None


def test_a_failed_move_that_moved_some_offers_them() -> None:
    assert shown.show_button(replace(DONE, status="failed", moved_leads=3), DEFAULT) is not None


def test_where_the_channel_leaves_e_mails_out_it_says_where_to_see_them() -> None:
    assert shown.show_button(DONE, HIDING) is None
    assert shown.withheld_line(DONE, HIDING) == (
        ":lock: This channel's settings leave lead e-mails out. See them in Instantly, in list *Warm*."
    )


def test_a_campaign_is_linked_in_instantly_with_its_name_escaped() -> None:
    order = an_order(source=campaign("c1", "Acme"), destination=campaign("c/9?x", "<!here> & co"), limit=5)
    link = "<https://app.instantly.ai/app/campaign/c%2F9%3Fx/leads|campaign &lt;!here&gt; &amp; co>"
    assert shown.where_to_see(replace(DONE, order=order)) == f"Instantly, in {link}"


def test_the_list_shows_the_first_twenty_escaped_and_points_to_the_rest() -> None:
    emails = ["<!channel>@acme.com", *[f"lead{n}@acme.com" for n in range(30)]]

    text, blocks = shown.moved_list(DONE, emails)

    listed = str(blocks)
    assert "<!channel>" not in listed
    assert "&lt;!channel&gt;@acme.com" in listed
    assert listed.count("• ") == shown.LISTED_AT_MOST
    assert "lead19@acme.com" not in listed
    assert text.startswith(f"Leads moved by job #{DONE.id}, the first 20 of 42:")
    assert "See them all in Instantly, in list *Warm*." in listed


def test_a_short_list_is_shown_whole_and_none_says_where_to_look() -> None:
    text, blocks = shown.moved_list(replace(DONE, moved_leads=2), ["a@acme.com", "b@acme.com"])
    assert "all 2:" in text
    assert "See them all" not in str(blocks)
    text, _ = shown.moved_list(DONE, [])
    assert text == "Instantly did not name the leads it moved. See them in Instantly, in list *Warm*."
