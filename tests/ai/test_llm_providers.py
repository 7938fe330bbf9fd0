"""Both LLM providers on their real SDKs against loopback fakes of the HTTP APIs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tradefleet.ai.config import LLMConfig
from tradefleet.ai.llm.base import LLMBudgetExceeded, LLMMalformed, LLMRateLimited, LLMRefused, LLMTimeout
from tradefleet.ai.llm.cache import PromptCache
from tradefleet.ai.llm.client import build_client
from tradefleet.orchestrator.clock import SimClock
from tests.fakes import llm_anthropic, llm_openai
from tests.fakes.llm_server import Scripted

SCHEMA = {
    "type": "object",
    "properties": {"approve": {"type": "boolean"}, "reason": {"type": "string"},
                   "category": {"type": "string", "enum": ["ok", "event_risk", "other"]}},
    "required": ["approve", "reason", "category"], "additionalProperties": False,
}
GOOD = {"approve": False, "reason": "CPI in two hours", "category": "event_risk"}

FAKES = {
    "anthropic": (llm_anthropic, lambda url: url),
    "openai": (llm_openai, lambda url: url + "/v1"),
}


@pytest.fixture(params=sorted(FAKES))
def setup(request, monkeypatch, tmp_path):
    name = request.param
    mod, base = FAKES[name]
    monkeypatch.setenv("TF_TEST_LLM_KEY", "sk-test-123")
    factory = mod.fake_anthropic if name == "anthropic" else mod.fake_openai
    with factory(GOOD) as server:
        clock = SimClock(datetime(2024, 3, 12, 14, 0, tzinfo=UTC))
        sleeps: list[float] = []

        def make(**over):
            cfg = LLMConfig(provider=name, model="m-1", base_url=base(server.url), api_key="env:TF_TEST_LLM_KEY",
                            cache_path=str(tmp_path / "cache.sqlite"), **over)
            return build_client(cfg, clock, sleep=sleeps.append, cache=PromptCache(tmp_path / "c.sqlite"))

        yield name, mod, server, make, clock, sleeps


def test_provider_good_answer_is_parsed_and_cached(setup):
    name, _, server, make, _, _ = setup
    client = make()
    answer, cached = client.ask_json("You review trades.", "BUY SPX at 4500", SCHEMA, "verdict")
    assert answer == GOOD and not cached
    req = server.requests[-1]
    assert req.body["model"] == "m-1"
    if name == "anthropic":
        assert req.path == "/v1/messages" and "anthropic-version" in req.headers
        # SDK 2.x sends the key as a bearer token (1.x used x-api-key)
        assert "sk-test-123" in (req.headers.get("x-api-key", ""), req.headers.get("authorization", "").removeprefix("Bearer "))
        assert req.body["output_config"]["format"]["schema"] == SCHEMA
        assert req.body["system"] == "You review trades."
    else:
        assert req.path == "/v1/chat/completions" and req.headers["authorization"] == "Bearer sk-test-123"
        assert req.body["response_format"]["json_schema"]["schema"] == SCHEMA
        assert req.body["messages"][0] == {"role": "system", "content": "You review trades."}
    again, cached = client.ask_json("You review trades.", "BUY SPX at 4500", SCHEMA, "verdict")
    assert again == GOOD and cached and len(server.requests) == 1


def test_provider_malformed_json_is_an_error_and_not_cached(setup):
    _, mod, server, make, _, _ = setup
    text = mod.message("approve: yes") if hasattr(mod, "message") else mod.completion("approve: yes")
    server.script.append(text)
    client = make()
    with pytest.raises(LLMMalformed, match="not JSON"):
        client.ask_json("s", "u", SCHEMA, "verdict")
    assert len(server.requests) == 1
    answer, cached = client.ask_json("s", "u", SCHEMA, "verdict")  # nothing bad was cached
    assert answer == GOOD and not cached


def test_provider_answer_off_schema_is_malformed(setup):
    _, mod, server, make, _, _ = setup
    server.script.append(mod.answer({"approve": "maybe", "reason": "x", "category": "ok"}))
    with pytest.raises(LLMMalformed, match="schema"):
        make().ask_json("s", "u", SCHEMA, "verdict")


def test_provider_timeout(setup):
    _, _, server, make, _, sleeps = setup
    server.script.append(Scripted(hang=True))
    with pytest.raises(LLMTimeout):
        make(timeout_seconds=0.3, retries=0).ask_json("s", "u", SCHEMA, "verdict")
    assert sleeps == []


def test_provider_429_is_retried_after_retry_after(setup):
    _, mod, server, make, _, sleeps = setup
    server.script.append(mod.rate_limited("2"))
    answer, _ = make(retries=2).ask_json("s", "u", SCHEMA, "verdict")
    assert answer == GOOD and sleeps == [2.0] and len(server.requests) == 2


def test_provider_429_exhausts_retries(setup):
    _, mod, server, make, _, sleeps = setup
    server.script.extend([mod.rate_limited("1"), mod.rate_limited("1")])
    with pytest.raises(LLMRateLimited) as err:
        make(retries=1).ask_json("s", "u", SCHEMA, "verdict")
    assert err.value.retry_after == 1.0 and sleeps == [1.0]


def test_provider_bad_key_is_refused_without_retry(setup):
    _, _, server, make, _, sleeps = setup
    server.script.append(Scripted({"type": "error", "error": {"type": "authentication_error", "message": "bad key"}}, 401))
    with pytest.raises(LLMRefused, match="401"):
        make(retries=3).ask_json("s", "u", SCHEMA, "verdict")
    assert sleeps == [] and len(server.requests) == 1


def test_provider_daily_budget(setup):
    _, _, server, make, clock, _ = setup
    client = make(daily_budget=1)
    client.ask_json("s", "u1", SCHEMA, "verdict")
    with pytest.raises(LLMBudgetExceeded, match="2024-03-12"):
        client.ask_json("s", "u2", SCHEMA, "verdict")
    assert client.ask_json("s", "u1", SCHEMA, "verdict")[1]  # cache hits are free
    clock.advance(86_400)
    assert client.ask_json("s", "u2", SCHEMA, "verdict")[0] == GOOD
    assert len(server.requests) == 2


def test_openai_provider_serves_keyless_local_servers(tmp_path):
    with llm_openai.fake_openai(GOOD) as server:
        cfg = LLMConfig(provider="openai", model="llama3.1", base_url=server.url + "/v1")
        client = build_client(cfg, SimClock(0), cache=PromptCache(":memory:"))
        assert client.ask_json("s", "u", SCHEMA, "verdict")[0] == GOOD
        assert server.requests[0].body["model"] == "llama3.1"
