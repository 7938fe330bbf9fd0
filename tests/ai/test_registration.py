"""Every ai plugin registered through pyproject entry points loads, passes the registry's
checks, builds from the kernel's services, and answers a signal."""

from __future__ import annotations

import numpy as np
import pytest

from tradefleet.ai.ensemble.source import SourceContext, Vote
from tradefleet.ai.ensemble.tracker import SignalTracker
from tradefleet.ai.veto.base import VetoVerdict
from tradefleet.orchestrator.clock import SimClock
from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.domain import Decision, Direction, Signal
from tradefleet.orchestrator.registry import Registry
from tradefleet.scrapers.bundled import load_dataset
from tests.ai.fakes import make_ctx, make_services, make_spec

EUR = load_dataset("eurusd")
REG = Registry.discover(["sources", "vetoes", "gates"])
SOURCES = ["ml", "llm_analyst", "mtf", "consensus", "technical", "derivatives", "macro", "news", "whale"]


def _setup(tmp_path):
    cfg = AppConfig.model_validate({"regime": {"model_dir": str(tmp_path / "m"), "history_dir": str(tmp_path / "h")},
                                    "ml": {"root": str(tmp_path / "ml")}})
    clock = SimClock(int(EUR.index.as_unit("ns").asi8[1500]))
    services = make_services(cfg, clock, {"EUR/USD": EUR})
    services.registry = REG
    now = clock.now_ns()
    sig = Signal("t-bot", "EUR/USD", Direction.LONG, 0.7, float(EUR["close"].iloc[1500]), now, now)
    return services, sig, make_ctx(clock, make_spec(), services.market)


def test_all_ai_plugins_registered_healthy():
    assert sorted(REG.ok("sources")) == sorted(SOURCES)
    assert {"rules", "anthropic", "openai"} <= set(REG.ok("vetoes"))
    assert {"regime", "ensemble", "veto"} <= set(REG.ok("gates"))
    assert [r for r in REG.broken() if r.target.startswith("ai.")] == []


#: what each source answers on this bundled EUR/USD window: a score, or why it abstains
EXPECTED = {"ml": "unavailable", "llm_analyst": "unavailable", "consensus": "no other bot", "derivatives": "not applicable",
            "macro": "not applicable", "news": "unavailable", "mtf": 1.0, "technical": 0.42847339862232553,
            "whale": "unavailable"}


@pytest.mark.parametrize("name", SOURCES)
def test_registered_source_builds_and_votes(tmp_path, name):
    services, sig, ctx = _setup(tmp_path)
    source = REG.get("sources", name).build(services)
    frame = services.data.frame("EUR/USD", 512)
    vote = source.vote(SourceContext(sig, ctx, frame, frame["close"].to_numpy(dtype=np.float64), SignalTracker()))
    assert isinstance(vote, Vote) and vote.source == name
    want = EXPECTED[name]
    if isinstance(want, str):  # abstains, saying why (never a silent zero vote)
        assert vote.abstain.startswith(want) and not vote.voted, vote
    else:
        assert vote.voted and vote.score == pytest.approx(want, abs=1e-6) and vote.confidence > 0, vote


def test_registered_gates_and_rules_veto_build_from_services(tmp_path):
    services, sig, ctx = _setup(tmp_path)
    for name in ("regime", "ensemble", "veto"):
        d = REG.get("gates", name).build(services).evaluate(sig, ctx)
        assert isinstance(d, Decision) and d.gate == name
    verdict = REG.get("vetoes", "rules").build(services).review(sig, ctx)
    assert isinstance(verdict, VetoVerdict)
