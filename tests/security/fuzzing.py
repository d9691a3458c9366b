"""Shared pieces of the fuzz tests (``test_fuzz_*.py``): Hypothesis settings, JSON strategies,
the response checks and a Redis snapshot to prove a refused request wrote nothing."""

from __future__ import annotations

import json
from typing import Any

import redis
import requests
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,  # the same examples every run: CI is reproducible
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)
"""Modest, derandomized settings for every fuzz test."""

TRACEBACK_SIGNS = ("Traceback (most recent call last)", 'File "/', "site-packages", ".py\", line")

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63), st.floats(allow_nan=False),
    st.text(max_size=40),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                  max_size=4),
    max_leaves=12,
)
raw_bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
)


def check_response(res: requests.Response, what: str = "",
                   documented_5xx: frozenset[int] = frozenset()) -> None:
    """No 5xx (but the documented ones: 502 bot unreachable, 503 no model...), and no stack
    trace in the body."""
    assert res.status_code < 500 or res.status_code in documented_5xx, (
        what, res.status_code, res.text[:300])
    body = res.text
    for sign in TRACEBACK_SIGNS:
        assert sign not in body, (what, res.status_code, body[:300])


def snapshot(client: redis.Redis) -> dict[Any, Any]:
    """Every key of the db with its serialized value (``DUMP``), to compare before and after."""
    return {key: client.dump(key) for key in client.scan_iter(count=1000)}
