"""The LLM client every consumer uses: cache by prompt hash, daily budget, retries with
backoff (honouring Retry-After), JSON parsing and JSON-schema validation of the answer."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from tradefleet.ai.config import LLMConfig
from tradefleet.ai.llm.base import ChatProvider, LLMBudgetExceeded, LLMError, LLMMalformed
from tradefleet.ai.llm.cache import PromptCache
from tradefleet.orchestrator.clock import Clock

log = logging.getLogger(__name__)


def prompt_key(provider: str, model: str, system: str, user: str, schema: dict[str, Any]) -> str:
    """Return the cache key: a SHA-256 of everything that determines the answer."""
    blob = json.dumps([provider, model, system, user, schema], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def parse_answer(text: str, schema: dict[str, Any], where: str) -> dict[str, Any]:
    """Parse ``text`` as a JSON object and validate it against ``schema``."""
    import jsonschema

    raw = text.strip()
    if raw.startswith("```"):  # tolerate a fenced block from local models
        raw = raw.strip("`").removeprefix("json").strip()
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise LLMMalformed(f"{where}: answer is not JSON ({exc.msg} at {exc.pos}): {text[:80]!r}") from None
    try:
        jsonschema.validate(obj, schema)
    except jsonschema.ValidationError as exc:
        raise LLMMalformed(f"{where}: answer does not match the schema: {exc.message}") from None
    if not isinstance(obj, dict):
        raise LLMMalformed(f"{where}: answer is not a JSON object")
    return obj


class LLMClient:
    """Ask a provider for a schema-valid JSON answer, at most ``daily_budget`` calls a day."""

    def __init__(self, provider: ChatProvider, config: LLMConfig, cache: PromptCache, clock: Clock,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.provider = provider
        self.config = config
        self.cache = cache
        self.clock = clock
        self.sleep = sleep

    @property
    def where(self) -> str:
        return f"{self.provider.name} {self.provider.model}"

    def ask_json(self, system: str, user: str, schema: dict[str, Any], schema_name: str) -> tuple[dict[str, Any], bool]:
        """Return (answer, from_cache). Raises an :class:`~tradefleet.ai.llm.base.LLMError` subclass."""
        key = prompt_key(self.provider.name, self.provider.model, system, user, schema)
        cached = self.cache.get(key)
        if cached is not None:
            return parse_answer(cached, schema, self.where), True
        attempt = 0
        while True:
            self._spend()
            try:
                text = self.provider.complete(system, user, schema, schema_name)
                answer = parse_answer(text, schema, self.where)
            except LLMError as exc:
                if not exc.retryable or attempt >= self.config.retries:
                    raise
                delay = self._backoff(exc, attempt)
                log.warning("%s (attempt %d), retrying in %.2fs", exc, attempt + 1, delay)
                self.sleep(delay)
                attempt += 1
                continue
            self.cache.put(key, self.provider.name, self.provider.model, text, self.clock.now_ns())
            return answer, False

    def _spend(self) -> None:
        day = self.clock.now().strftime("%Y-%m-%d")
        if self.cache.calls(day, self.provider.name) >= self.config.daily_budget:
            raise LLMBudgetExceeded(f"{self.where}: daily budget of {self.config.daily_budget} calls spent for {day}")
        self.cache.count_call(day, self.provider.name)

    def _backoff(self, exc: LLMError, attempt: int) -> float:
        hinted = getattr(exc, "retry_after", None)
        delay = hinted if hinted is not None else 0.5 * 2.0**attempt
        return float(min(delay, self.config.max_backoff_seconds))


def build_client(config: LLMConfig, clock: Clock, sleep: Callable[[float], None] = time.sleep,
                 cache: PromptCache | None = None) -> LLMClient:
    """Build the provider named in ``config`` with its key resolved from the environment."""
    api_key = config.api_key.resolve().get_secret_value() if config.api_key else None  # type: ignore[attr-defined]
    provider: ChatProvider
    if config.provider == "anthropic":
        from tradefleet.ai.llm.anthropic_provider import AnthropicProvider

        provider = AnthropicProvider(config, api_key)
    else:
        from tradefleet.ai.llm.openai_provider import OpenAIProvider

        provider = OpenAIProvider(config, api_key)
    return LLMClient(provider, config, cache or PromptCache(config.cache_path), clock, sleep)
