"""The meeting cache: served while no newer event was seen, never past a min_version."""

from __future__ import annotations

from interview_analytics.http.cache import CachedMeeting, MeetingCache


def entry(version: int) -> CachedMeeting:
    return CachedMeeting(version, None, f'{{"version": {version}}}'.encode())


def test_nothing_is_cached_while_the_feed_is_not_following_the_stream() -> None:
    cache = MeetingCache()
    cache.put("m", entry(1))
    assert cache.get("m") is None


def test_a_newer_event_drops_the_entry_and_an_older_answer_is_not_kept() -> None:
    cache = MeetingCache()
    cache.set_active(True)
    cache.put("m", entry(3))
    assert cache.get("m") == entry(3)
    assert cache.get("m", min_version=4) is None
    cache.saw("m", 3)
    assert cache.get("m") == entry(3)
    cache.saw("m", 4)
    assert cache.get("m") is None
    cache.put("m", entry(3))  # the read model was behind the stream: not kept
    assert cache.get("m") is None
    cache.put("m", entry(4))
    assert cache.get("m") == entry(4)


def test_losing_the_stream_empties_the_cache_and_capacity_is_bounded() -> None:
    cache = MeetingCache(capacity=2)
    cache.set_active(True)
    for name in ("a", "b", "c"):
        cache.put(name, entry(1))
    assert cache.get("a") is None
    assert cache.get("c") == entry(1)
    cache.set_active(False)
    assert cache.get("c") is None
