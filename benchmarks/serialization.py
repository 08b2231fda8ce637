"""Per-call cost of the model layer next to the JSON library alone.

Decoding: bytes of a 100-message ``ListMessagesResponse`` into models, next to
``json.loads`` of the same bytes. Encoding: a ``SendMessageRequest`` into bytes, next to
``json.dumps`` of the equivalent dict. Each round times both back to back and the ratio of
the round is kept; the median ratio is reported (the machine is shared and noisy).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from conversation_async import _jsoncodec
from conversation_async import _serde as serde
from conversation_async.models import ListMessagesResponse, SendMessageRequest

from .throughput import bulk_requests


def list_body(count: int = 100) -> bytes:
    """A realistic page of stored messages: half inbound texts, half outbound."""
    inbound = {
        "id": "01M85ATPJSPQZSJ26Y7T9CRGY1",
        "direction": "TO_APP",
        "contact_message": {"text_message": {"text": "Hello, is my order on its way?"}},
        "channel_identity": {"channel": "SMS", "identity": "46700000001", "app_id": ""},
        "conversation_id": "01M85ATPJSPQZSJ26Y7T9CRGY2",
        "contact_id": "01M85ATPJSPQZSJ26Y7T9CRGY3",
        "metadata": '{"operator":"310150"}',
        "accept_time": "2026-02-22T07:40:46.123456Z",
        "sender_id": "447700900000",
        "processing_mode": "CONVERSATION",
        "injected": False,
    }
    outbound = {k: v for k, v in inbound.items() if k != "contact_message"}
    outbound["direction"] = "TO_CONTACT"
    outbound["app_message"] = {"text_message": {"text": "Yes, it ships today."}}
    messages = [inbound if i % 2 else outbound for i in range(count)]
    return json.dumps({"messages": messages, "next_page_token": "abc"}).encode()


def _time(fn: Callable[[], Any], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def compare(
    sdk: Callable[[], Any], baseline: Callable[[], Any], number: int, rounds: int
) -> dict[str, float]:
    """Median per-call microseconds of each side and the median of per-round ratios."""
    sdk_times, base_times, ratios = [], [], []
    for _ in range(rounds):
        base = _time(baseline, number)
        mine = _time(sdk, number)
        base_times.append(base)
        sdk_times.append(mine)
        ratios.append(mine / base)
    return {
        "sdk_us": round(statistics.median(sdk_times) * 1e6, 1),
        "baseline_us": round(statistics.median(base_times) * 1e6, 1),
        "ratio": round(statistics.median(ratios), 2),
    }


def decode(rounds: int = 30) -> dict[str, float]:
    body = list_body()
    return compare(
        lambda: serde.structure(_jsoncodec.loads(body), ListMessagesResponse),
        lambda: json.loads(body),
        number=20,
        rounds=rounds,
    )


def encode(rounds: int = 30) -> dict[str, float]:
    request: SendMessageRequest = next(bulk_requests(1))
    as_dict = serde.unstructure(request)
    return compare(
        lambda: _jsoncodec.dumps(serde.unstructure(request)),
        lambda: json.dumps(as_dict),
        number=500,
        rounds=rounds,
    )
