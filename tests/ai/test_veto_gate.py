"""The veto gate end to end: rules plus LLM reviewers on loopback fakes, fail-closed policy,
and the LLM analyst source on the same provider layer."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from tradefleet.ai.ensemble.source import SourceContext
from tradefleet.ai.ensemble.sources.analyst import LLMAnalystSource
from tradefleet.ai.ensemble.tracker import SignalTracker
from tradefleet.ai.veto.gate import VetoGate
from tradefleet.orchestrator.clock import SimClock, dt_to_ns
from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.domain import Direction, Signal, Verdict
from tradefleet.orchestrator.errors import ConfigError
from tradefleet.scrapers.bundled import load_dataset
from tests.ai.fakes import make_ctx, make_services, make_spec
from tests.fakes import llm_anthropic, llm_openai
from tests.fakes.llm_server import Scripted

EUR = load_dataset("eurusd")
WHEN = datetime(2017, 5, 10, 14, 0, tzinfo=UTC)  # a quiet Wednesday inside the EUR/USD data


def _services(tmp_path, mode="replay", providers=("rules", "openai"), url="", kind="openai", analyst=False, retries=1,
              **veto):
    llm = {"provider": kind, "model": "m-1", "base_url": url + ("/v1" if kind == "openai" else ""),
           "api_key": "env:TF_TEST_LLM_KEY", "cache_path": str(tmp_path / "llm.sqlite"), "timeout_seconds": 0.5,
           "retries": retries}
    raw = {"mode": mode, "veto": {"providers": list(providers), kind: llm, **veto}}
    if analyst:
        raw["ensemble"] = {"analyst": llm}
    cfg = AppConfig.model_validate(raw)
    clock = SimClock(WHEN)
    sleeps: list[float] = []
    return make_services(cfg, clock, {"EUR/USD": EUR}, **{"ai.sleep": sleeps.append}), sleeps


def _signal(services, direction=Direction.LONG):
    now = services.clock.now_ns()
    close = float(services.data.frame("EUR/USD", 1)["close"].iloc[-1])
    return Signal("t-bot", "EUR/USD", direction, 0.7, close, now, now)


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("TF_TEST_LLM_KEY", "sk-test")


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_llm_veto_rejects_with_category(tmp_path, kind):
    fake = llm_openai.fake_openai if kind == "openai" else llm_anthropic.fake_anthropic
    with fake({"approve": False, "reason": "momentum exhausted into resistance", "category": "trend"}) as srv:
        services, _ = _services(tmp_path, url=srv.url, kind=kind, providers=("rules", kind))
        gate = VetoGate.build(services)
        sig = _signal(services)
        d = gate.evaluate(sig, make_ctx(services.clock, make_spec(), services.market))
        assert d.verdict is Verdict.REJECT and d.reason == "llm_veto" and d.data["category"] == "trend"
        assert [r["provider"] for r in d.data["reviews"]] == ["rules", kind]
        assert d.data["reviews"][0]["approve"] is True
        prompt = srv.requests[0].body["messages"][-1]["content"]
        assert '"as_of_utc":"2017-05-10T14:00:00Z"' in prompt and '"instrument":"EUR/USD"' in prompt
        # a replay of the same moment is answered from the cache, deterministically
        again = VetoGate.build(services).evaluate(sig, make_ctx(services.clock, make_spec(), services.market))
        assert again.data == {**d.data, "reviews": [d.data["reviews"][0], {**d.data["reviews"][1],
                              "data": {**d.data["reviews"][1]["data"], "cached": True}}]}
        assert len(srv.requests) == 1


def test_rules_veto_short_circuits_llm(tmp_path):
    with llm_openai.fake_openai() as srv:
        services, _ = _services(tmp_path, url=srv.url)
        sig = _signal(services)
        moved = Signal(sig.bot, sig.instrument, sig.direction, 0.7, sig.entry * 0.98, sig.ts_event, sig.ts_init)
        d = VetoGate.build(services).evaluate(moved, make_ctx(services.clock, make_spec(), services.market))
        assert d.reason == "price_past_entry" and srv.requests == []


@pytest.mark.parametrize(("mode", "on_error", "verdict"), [
    ("live", "auto", Verdict.REJECT), ("replay", "auto", Verdict.PASS), ("paper", "auto", Verdict.PASS),
    ("replay", "reject", Verdict.REJECT), ("live", "pass", Verdict.PASS),
])
def test_llm_failure_policy(tmp_path, mode, on_error, verdict):
    with llm_openai.fake_openai() as srv:
        srv.script.extend([Scripted(hang=True)])
        services, sleeps = _services(tmp_path, mode=mode, url=srv.url, on_error=on_error, retries=0)
        d = VetoGate.build(services).evaluate(_signal(services), make_ctx(services.clock, make_spec(), services.market))
        assert d.verdict is verdict
        assert "LLMTimeout" in d.data["reviews"][-1]["error"] and sleeps == []
        if verdict is Verdict.REJECT:
            assert d.reason == "veto_unavailable"


def test_llm_429_then_answer(tmp_path):
    with llm_openai.fake_openai() as srv:
        srv.script.append(llm_openai.rate_limited("3"))
        services, sleeps = _services(tmp_path, mode="live", url=srv.url)
        d = VetoGate.build(services).evaluate(_signal(services), make_ctx(services.clock, make_spec(), services.market))
        assert d.verdict is Verdict.PASS and d.reason == "approved" and sleeps == [3.0]


def test_malformed_llm_answer_fails_closed_in_live(tmp_path):
    with llm_anthropic.fake_anthropic() as srv:
        srv.script.append(llm_anthropic.message("I approve this trade."))
        services, _ = _services(tmp_path, mode="live", url=srv.url, kind="anthropic", providers=("anthropic",),
                                retries=0)
        d = VetoGate.build(services).evaluate(_signal(services), make_ctx(services.clock, make_spec(), services.market))
        assert d.reason == "veto_unavailable" and "LLMMalformed" in d.data["reviews"][0]["error"]


def test_unconfigured_llm_veto_is_a_config_error(tmp_path):
    cfg = AppConfig.model_validate({"veto": {"providers": ["rules", "anthropic"]}})
    services = make_services(cfg, SimClock(WHEN), {"EUR/USD": EUR})
    with pytest.raises(ConfigError, match=r"\[veto.anthropic\] is not configured"):
        VetoGate.build(services)


def test_exits_are_never_vetoed(tmp_path):
    services, _ = _services(tmp_path, providers=("rules",))
    gate = VetoGate.build(services)
    d = gate.evaluate(_signal(services, Direction.FLAT), make_ctx(services.clock, make_spec(), services.market))
    assert d.verdict is Verdict.PASS and d.reason == "exit_allowed"


def test_llm_analyst_source_votes_and_abstains(tmp_path):
    with llm_openai.fake_openai({"score": -0.4, "confidence": 0.8, "rationale": "lower highs"}) as srv:
        services, _ = _services(tmp_path, url=srv.url, analyst=True, providers=("rules",))
        src = LLMAnalystSource.build(services)
        sig = _signal(services)
        frame = services.data.frame("EUR/USD", 100)
        sctx = SourceContext(sig, make_ctx(services.clock, make_spec(), services.market), frame,
                             frame["close"].to_numpy(dtype=np.float64), SignalTracker())
        vote = src.vote(sctx)
        assert (vote.score, vote.confidence) == (-0.4, 0.8) and vote.detail["rationale"] == "lower highs"
        assert srv.requests[0].body["response_format"]["json_schema"]["name"] == "market_outlook"
        srv.script.append(llm_openai.completion("{not json"))
        services.clock.advance(3600)
        sig2 = _signal(services)
        sctx2 = SourceContext(sig2, make_ctx(services.clock, make_spec(), services.market), frame,
                              frame["close"].to_numpy(dtype=np.float64), SignalTracker())
        assert src.vote(sctx2).abstain.startswith("unavailable:")
    unconfigured = LLMAnalystSource.build(_services(tmp_path, providers=("rules",))[0])
    assert unconfigured.vote(sctx).abstain == "unavailable: no [ensemble.analyst] LLM configured"
    assert dt_to_ns(WHEN) == sig.ts_event
