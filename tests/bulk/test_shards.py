"""A campaign in shards: every message in exactly one shard, the same shards from the same input."""

from __future__ import annotations

import pytest

from aioclicksend import RequestValidationError, shard, shard_job_id


@pytest.mark.parametrize("count", [1, 3, 4, 7])
def test_every_message_is_in_exactly_one_shard_and_the_same_again(count: int) -> None:
    messages = [f"m{i}" for i in range(100)]
    shards = [list(shard(iter(messages), index, count)) for index in range(count)]
    assert sorted(message for one in shards for message in one) == sorted(messages)
    assert shards == [list(shard(iter(messages), index, count)) for index in range(count)]
    assert max(map(len, shards)) - min(map(len, shards)) <= 1


def test_a_shard_job_id_names_the_campaign_the_shard_and_the_split() -> None:
    assert shard_job_id("spring-24", 2, 4) == "spring-24/2-of-4"
    assert shard_job_id("spring-24", 2, 4) != shard_job_id("spring-24", 2, 8)


@pytest.mark.parametrize(("index", "count"), [(4, 4), (-1, 4), (0, 0), (True, 2), (0, 2.0)])
def test_a_shard_that_is_not_one_is_refused(index: object, count: object) -> None:
    with pytest.raises(RequestValidationError, match="the index must be 0 to count - 1"):
        shard([], index, count)  # type: ignore[arg-type]
    with pytest.raises(RequestValidationError):
        shard_job_id("c", index, count)  # type: ignore[arg-type]
