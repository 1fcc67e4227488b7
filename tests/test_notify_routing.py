"""routing.recipients: modes and filters (empty filter = everything)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.models import Change, Event
from monitor.notify.routing import Subscriber, recipients

EVENT = Event(
    1, "Meduza", "https://meduza.io/", "foreign_agent_label", Change.ADDED, datetime(2026, 11, 25, tzinfo=UTC)
)
DOWN = Event(2, "Zona", "https://zona.media/", "availability", Change.UNREACHABLE, datetime(2026, 11, 25, tzinfo=UTC))


def test_empty_filters_match_everything_in_the_subscribed_modes() -> None:
    everyone = Subscriber("all@x.org", modes=("immediate", "weekly"))
    assert recipients(EVENT, [everyone], "immediate") == ["all@x.org"]
    assert recipients(EVENT, [everyone], "weekly") == ["all@x.org"]
    assert recipients(EVENT, [everyone], "daily") == []


@pytest.mark.parametrize(
    ("subscriber", "expected"),
    [
        (Subscriber("a@x.org", outlets=("meduza",)), True),
        (Subscriber("a@x.org", outlets=("Zona",)), False),
        (Subscriber("a@x.org", categories=("foreign_agent_label", "paywall")), True),
        (Subscriber("a@x.org", categories=("paywall",)), False),
        (Subscriber("a@x.org", changes=("added",)), True),
        (Subscriber("a@x.org", changes=("unreachable",)), False),
        (Subscriber("a@x.org", tags=("exile",)), True),
        (Subscriber("a@x.org", tags=("belarus",)), False),
        (Subscriber("a@x.org", jurisdictions=("RU",)), True),
        (Subscriber("a@x.org", jurisdictions=("GE",)), False),
        (Subscriber("a@x.org", outlets=("Meduza",), categories=("paywall",)), False),
    ],
)
def test_each_filter(subscriber: Subscriber, expected: bool) -> None:
    got = recipients(EVENT, [subscriber], "immediate", outlet_tags=("exile", "russian"), jurisdiction="ru")
    assert got == (["a@x.org"] if expected else [])


def test_availability_subscribers_and_jurisdiction_unknown() -> None:
    ops = Subscriber("ops@x.org", changes=("unreachable", "recovered"))
    editors = Subscriber("ed@x.org", categories=("foreign_agent_label",))
    georgia = Subscriber("ge@x.org", jurisdictions=("GE",))
    assert recipients(DOWN, [ops, editors, georgia], "immediate") == ["ops@x.org"]
    assert recipients(EVENT, [ops, editors, georgia], "immediate") == ["ed@x.org"]


def test_event_tags_count_and_addresses_are_deduplicated() -> None:
    tagged = Event(3, "Dozhd", "https://tvrain.tv/", "paywall", Change.ADDED, EVENT.created_at, tags=("tv",))
    subs = [Subscriber("a@x.org", tags=("tv",)), Subscriber("a@x.org"), Subscriber("b@x.org", tags=("radio",))]
    assert recipients(tagged, subs, "immediate") == ["a@x.org"]


def test_unknown_mode_is_an_error() -> None:
    with pytest.raises(ValueError, match="hourly"):
        recipients(EVENT, [], "hourly")


def test_config_subscribers_route_as_they_are() -> None:
    from monitor.config import Subscriber as ConfigSubscriber

    sub = ConfigSubscriber.model_validate(
        {"email": "ops@x.org", "modes": ["daily"], "filters": {"changes": ["unreachable"], "jurisdictions": ["RU"]}}
    )
    assert recipients(DOWN, [sub], "daily", jurisdiction="RU") == ["ops@x.org"]
    assert recipients(EVENT, [sub], "daily", jurisdiction="RU") == []
    assert recipients(DOWN, [sub], "immediate", jurisdiction="RU") == []
