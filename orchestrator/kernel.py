"""Assembling one kernel: the same wiring for replay, paper and live.

Only the clock, the market-data source and the broker adapters differ between the three;
everything here (services, gate pipeline, order manager, book, bot runners, engine) is
shared, so backtest replay and live trading run the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from tradefleet.orchestrator.botrunner import BotRunner
from tradefleet.orchestrator.bus import Bus, InProcessBus
from tradefleet.orchestrator.clock import Clock
from tradefleet.orchestrator.sections import KernelConfig
from tradefleet.orchestrator.domain import Instrument
from tradefleet.orchestrator.engine import Engine, record_bot
from tradefleet.orchestrator.execution.broker import Broker
from tradefleet.orchestrator.execution.oms import OrderManager
from tradefleet.orchestrator.execution.paper import PaperBroker, PaperCosts, fill_config
from tradefleet.orchestrator.exits import EXIT_POLICY
from tradefleet.orchestrator.market import MarketState
from tradefleet.orchestrator.pipeline.runner import build_pipeline
from tradefleet.orchestrator.portfolio import Ledger
from tradefleet.orchestrator.registry import PluginStatus, Registry
from tradefleet.orchestrator.services import Services

if TYPE_CHECKING:
    from tradefleet.orchestrator.bot import BotSpec
    from tradefleet.orchestrator.store import Store


@dataclass
class Kernel:
    """A wired kernel for one account."""

    services: Services
    engine: Engine
    oms: OrderManager
    account: str


def paper_broker(config: KernelConfig, market: MarketState, clock: Clock, account: str,
                 instruments: dict[str, Instrument]) -> PaperBroker:
    """The paper account configured by ``[paper]`` and ``[engine]``."""
    cash = Decimal(repr(config.engine.starting_cash))
    costs = PaperCosts(config.paper.slippage_bps, config.paper.fee_bps)
    broker = PaperBroker(market, clock, cash, costs, account, instruments,
                         fill_config(costs, market.spread_bps, config.paper))
    broker.fee_per_contract = Decimal(repr(config.paper.fee_per_contract))
    broker.option_improvement = config.paper.option_improvement
    return broker


def multiplier_of(instruments: dict[str, Instrument]) -> Callable[[str], Decimal | None]:
    """``symbol -> contract multiplier`` over a live instruments map (None while unknown)."""
    from tradefleet.orchestrator.occ import multiplier

    def mult(symbol: str) -> Decimal | None:
        return multiplier(symbol, instruments)

    return mult


def install_execution(engine: Engine, config: KernelConfig, store: Store, market: MarketState,
                      instruments: dict[str, Instrument], account: str) -> None:
    """Put the execution layer between the risk gate and the order manager, with the
    pre-trade impact check on the risk gate, and resume any parent a restart left working."""
    from tradefleet.orchestrator.execution.costcheck import CostCheckedRisk
    from tradefleet.orchestrator.execution.desk import ExecutionDesk
    from tradefleet.orchestrator.execution.exec_store import ExecStore, restore_layer
    from tradefleet.orchestrator.execution.calibrate import apply_calibrations

    exec_store = ExecStore(store)
    desk = ExecutionDesk(config.execution, market, instruments, exec_store)
    engine.desk = desk
    if config.execution.impact_check:
        engine.pipeline.risk = CostCheckedRisk(engine.pipeline.risk, desk)
    # the newest calibrations: the desk's impact scales, the paper broker's slippage
    apply_calibrations(engine, store, account, config.execution.calibrate_accounts,
                       config.execution.paper_calibration)
    restore_layer(desk.layer, exec_store, store, account)


def assemble(config: KernelConfig, *, store: Store, registry: Registry, specs: list[BotSpec], clock: Clock,
             market: MarketState, instruments: dict[str, Instrument], account: str,
             brokers: Mapping[str, Broker] | None = None, bus: Bus | None = None,
             route: Callable[[str], str] | None = None) -> Kernel:
    """Wire services, pipeline, order manager, book, runners and engine for ``account``.

    Without ``brokers`` the account trades on a paper broker filling from ``market``.
    """
    bus = bus or InProcessBus()
    paper = None
    if brokers is None:
        paper = paper_broker(config, market, clock, account, instruments)
        brokers = {account: paper}
    ledger = Ledger(Decimal(repr(config.engine.starting_cash)), market.last_close, account, multiplier_of(instruments))
    if route is not None:
        ledger.account_of = route  # buying power is per account: the router says whose
    services = Services(config, clock, store, bus, registry, market, ledger, market, instruments)
    pipeline = build_pipeline(config.pipeline.stages, registry, services)
    runners = {s.name: BotRunner(s, s.build(config.bots[s.name].params if s.name in config.bots else None))
               for s in specs}
    for stage in (pipeline.risk, *pipeline.gates):  # capital budgets are shares of the bots this account runs
        running = getattr(stage, "set_running", None)
        if running is not None:
            running(list(runners))
    holder: list[Engine] = []
    in_process = frozenset(name for name, b in brokers.items() if isinstance(b, PaperBroker))
    oms = OrderManager(store, brokers, clock, bus, on_fill=lambda order, fill: holder[0].on_fill(order, fill),
                       in_process_accounts=in_process)
    exits = services.extras.get(EXIT_POLICY)  # filled by the risk component's gate, if any
    engine = Engine(services, runners, pipeline, oms, ledger, account, paper, exits, route)
    holder.append(engine)
    install_execution(engine, config, store, market, instruments, account)
    now = clock.now_ns()
    for spec in specs:
        record_bot(store, spec, PluginStatus.OK.value, "", now)
    for rec in registry.broken("bots"):
        store.upsert_bot(rec.name, strategy=rec.target, family="", asset_class="", status="broken",
                         error=rec.error, updated_ns=now)
    engine.reload_control()
    return Kernel(services, engine, oms, account)
