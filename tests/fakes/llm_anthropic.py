"""A fake of the Anthropic Messages API (``POST /v1/messages``) for the real ``anthropic`` SDK."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.llm_server import LLMFakeServer, Scripted


def message(text: str, model: str = "claude-test") -> Scripted:
    """A successful Messages API answer whose single text block is ``text``."""
    return Scripted({
        "id": "msg_fake", "type": "message", "role": "assistant", "model": model,
        "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
        "stop_sequence": None, "usage": {"input_tokens": 50, "output_tokens": 20},
    })


def answer(obj: dict[str, Any]) -> Scripted:
    return message(json.dumps(obj))


def rate_limited(retry_after: str = "2") -> Scripted:
    return Scripted({"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}},
                    429, {"retry-after": retry_after})


def overloaded() -> Scripted:
    return Scripted({"type": "error", "error": {"type": "overloaded_error", "message": "overloaded"}}, 529)


def fake_anthropic(default: dict[str, Any] | None = None) -> LLMFakeServer:
    """A server answering ``default`` (JSON) unless a reply is scripted."""
    obj = default or {"approve": True, "reason": "fine", "category": "ok"}
    return LLMFakeServer("/v1/messages", lambda body: answer(obj))
