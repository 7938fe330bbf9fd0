"""The kernel's risk gate: fixed-fraction sizing, position cap, cash, max positions, halt.

Exits (a FLAT signal, or the closing leg of a flip) always pass: a halted fleet may still
reduce exposure. The full portfolio risk engine lives in :mod:`tradefleet.risk.engine`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from tradefleet.orchestrator.sections import RiskConfig
from tradefleet.orchestrator.domain import ZERO, Decision, Instrument, Signal
from tradefleet.orchestrator.pipeline.gate import GateContext

if TYPE_CHECKING:
    from tradefleet.orchestrator.services import Services

GATE = "risk"


class BasicRiskGate:
    """Size a new position as a fraction of equity, within the kernel's limits."""

    name: ClassVar[str] = "risk"
    api_version: ClassVar[int] = 1

    def __init__(self, config: RiskConfig, instruments: dict[str, Instrument], fee_bps: float = 0.0) -> None:
        self.config = config
        self.instruments = instruments
        self._cost = Decimal(1) + Decimal(repr(fee_bps)) / Decimal(10_000) * 2

    @classmethod
    def build(cls, services: Services) -> BasicRiskGate:
        from tradefleet.risk.exit_manager import publish_exit_manager

        publish_exit_manager(services)
        return cls(services.config.risk, services.instruments, services.config.paper.fee_bps)

    def approve(self, signal: Signal, ctx: GateContext, scale: float) -> tuple[Decision, Decimal]:
        pos = ctx.portfolio.position(signal.bot, signal.instrument)
        held = pos.quantity if pos is not None else ZERO
        want = signal.direction.sign
        held_sign = (held > 0) - (held < 0)
        if want == 0:
            if held == 0:
                return Decision.passed(GATE, "noop_flat"), ZERO
            return Decision.passed(GATE, "exit"), -held
        if want == held_sign:
            return Decision.passed(GATE, "noop_already_positioned"), ZERO
        close = -held  # the closing leg of a flip (zero when flat)
        if want < 0 and not self.config.allow_short:
            return self._exit_only(close, "short_not_allowed")
        if ctx.halted:
            return self._exit_only(close, "halted", ctx.halt_reason)
        if held == 0 and ctx.portfolio.open_position_count() >= self.config.max_positions:
            return Decision.rejected(GATE, "max_positions", f"{self.config.max_positions} open"), ZERO
        quote = ctx.market.quote(signal.instrument)
        if quote is None:
            return Decision.rejected(GATE, "no_quote", signal.instrument), ZERO
        price = Decimal(repr(quote[1] if want > 0 else quote[0]))
        equity = ctx.portfolio.equity()
        frac = min(self.config.position_pct * scale, self.config.max_position_pct)
        budget = equity * Decimal(repr(frac))
        limited = False
        if want > 0:
            spendable = getattr(ctx.portfolio, "spendable", None)  # the account's buying power, if reported
            cash = (spendable(signal.instrument) if callable(spendable) else ctx.portfolio.cash()) - close * price
            if budget * self._cost > cash:
                budget, limited = max(cash / self._cost, ZERO), True
        inst = self.instruments.get(signal.instrument) or Instrument(signal.instrument, ctx.spec.asset_class)
        qty = inst.round_qty(budget / price)
        if qty <= 0:
            reason = "insufficient_cash" if limited else "size_below_lot"
            return Decision.rejected(GATE, reason, f"budget {budget:.2f} at {price}"), ZERO
        detail = f"{qty} @ ~{price} ({frac:.2%} of equity {equity:.2f})"
        data = {"equity": float(equity), "fraction": frac, "scale": scale}
        if limited:
            return Decision.resized(GATE, float(qty * price / (equity * Decimal(repr(frac)))), "cash_limited", detail, data), close + want * qty
        if scale < 1.0:
            return Decision.resized(GATE, scale, "scaled_by_gates", detail, data), close + want * qty
        return Decision.passed(GATE, "sized", detail, data), close + want * qty

    def _exit_only(self, close: Decimal, reason: str, detail: str = "") -> tuple[Decision, Decimal]:
        if close == 0:
            return Decision.rejected(GATE, reason, detail), ZERO
        return Decision.resized(GATE, 0.0, f"{reason}_exit_only", detail), close
