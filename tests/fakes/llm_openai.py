"""A fake of the OpenAI Chat Completions API (``POST /v1/chat/completions``) for the real
``openai`` SDK; the same shape is what Ollama and vLLM serve."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.llm_server import LLMFakeServer, Scripted


def completion(text: str, model: str = "gpt-test") -> Scripted:
    """A successful chat completion whose message content is ``text``."""
    return Scripted({
        "id": "chatcmpl-fake", "object": "chat.completion", "created": 1_700_000_000, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None},
                     "finish_reason": "stop", "logprobs": None}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70},
    })


def answer(obj: dict[str, Any]) -> Scripted:
    return completion(json.dumps(obj))


def rate_limited(retry_after: str = "2") -> Scripted:
    return Scripted({"error": {"message": "Rate limit reached", "type": "requests",
                               "param": None, "code": "rate_limit_exceeded"}}, 429, {"retry-after": retry_after})


def server_error() -> Scripted:
    return Scripted({"error": {"message": "boom", "type": "server_error", "param": None, "code": None}}, 500)


def fake_openai(default: dict[str, Any] | None = None) -> LLMFakeServer:
    """A server answering ``default`` (JSON) unless a reply is scripted."""
    obj = default or {"approve": True, "reason": "fine", "category": "ok"}
    return LLMFakeServer("/v1/chat/completions", lambda body: answer(obj))
