"""``tradefleet options``: price an option (or solve its implied vol), draw strategy
payoffs, and forecast S&P 500 volatility with GARCH(1,1).

numpy, scipy, plotly and arch are imported inside the commands. Every bad argument raises
an :class:`~tradefleet.risk.options.errors.OptionInputError` (one line, exit code 2); numbers are
parsed here rather than by click so that errors stay on one line.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from tradefleet.app.cli.common import ConfigOption, JsonOption, StoreOption, emit_json, load

if TYPE_CHECKING:
    from tradefleet.risk.options.chain import OptionChain

GREEKS = ("delta", "gamma", "theta", "vega", "rho")


def _input_error(message: str) -> Exception:
    from tradefleet.risk.options.errors import OptionInputError

    return OptionInputError(message)


def _num(flag: str, raw: str | None) -> float:
    """Parse a required number given as text (one-line error naming the flag)."""
    if raw is None:
        raise _input_error(f"missing {flag}")
    try:
        value = float(raw)
    except ValueError:
        raise _input_error(f"{flag}: {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise _input_error(f"{flag}: {raw!r} is not finite")
    return value


def _int(flag: str, raw: str) -> int:
    value = _num(flag, raw)
    if value != int(value):
        raise _input_error(f"{flag}: {raw!r} is not a whole number")
    return int(value)


def _opt_num(flag: str, raw: str | None) -> float | None:
    return None if raw is None else _num(flag, raw)


def _choice(flag: str, raw: str, allowed: tuple[str, ...]) -> str:
    value = raw.strip().lower()
    if value not in allowed:
        raise _input_error(f"{flag}: {raw!r} is not one of {', '.join(allowed)}")
    return value


def price_option(kind: str, style: str, spot: float, strike: float, expiry: float, rate: float,
                 dividend: float, vol: float | None, price: float | None, steps: int) -> dict[str, Any]:
    """Price one option (or solve its implied vol first) and return every figure as a dict."""
    from tradefleet.risk.options.binomial import crr_tree
    from tradefleet.risk.options.bsm import bsm_valuation
    from tradefleet.risk.options.bump import binomial_bump_valuation, bsm_bump_valuation
    from tradefleet.risk.options.implied import implied_vol

    if (vol is None) == (price is None):
        raise _input_error("give exactly one of --vol (to price) or --price (to solve the implied vol)")
    out: dict[str, Any] = {"type": kind, "style": style, "spot": spot, "strike": strike, "expiry": expiry,
                           "rate": rate, "dividend": dividend}
    if vol is None:
        vol = implied_vol(price, kind, spot, strike, expiry, rate, dividend,  # type: ignore[arg-type]
                          "american" if style == "american" else "european", steps)
        out["implied_vol"] = vol
    out["vol"] = vol
    if style == "european":
        val = bsm_valuation(kind, spot, strike, expiry, rate, vol, dividend)
        bump = bsm_bump_valuation(kind, spot, strike, expiry, rate, vol, dividend)
        out["model"] = "black-scholes-merton"
        model_price = float(val.price[()])
        greeks = {g: float(getattr(val, g)[()]) for g in GREEKS}
    else:
        tree = crr_tree(kind, spot, strike, expiry, rate, vol, dividend, steps, "american")
        bump = binomial_bump_valuation(kind, spot, strike, expiry, rate, vol, dividend, steps, "american")
        out["model"] = f"binomial CRR, Broadie-Detemple + Richardson, {steps} steps"
        model_price = float(tree.price[()])
        greeks = {"delta": float(tree.delta[()]), "gamma": float(tree.gamma[()]), "theta": float(tree.theta[()]),
                  "vega": float(bump.vega[()]), "rho": float(bump.rho[()])}
    out["price"] = model_price if price is None else price
    out["model_price"] = model_price
    out["greeks"] = greeks
    out["greeks_bump"] = {g: float(getattr(bump, g)[()]) for g in GREEKS}
    out["units"] = {"theta": "per year (divide by 365 per day)", "vega": "per 1.00 vol", "rho": "per 1.00 rate"}
    return out


def _pairs(flag: str, raw: list[str]) -> dict[str, float]:
    """``SYM=NUMBER`` pairs of a repeatable flag (one-line error naming the flag)."""
    out = {}
    for item in raw:
        sym, eq, num = item.partition("=")
        if not eq or not sym.strip():
            raise _input_error(f"{flag}: {item!r} is not UNDERLYING=NUMBER")
        value = _num(flag, num)
        if not value > 0:
            raise _input_error(f"{flag}: {item!r} must be > 0")
        out[sym.strip().upper()] = value
    return out


def _print_positions(view: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    if not view["legs"]:
        con.print(f"no open option legs{' on ' + view['account'] if view.get('account') else ''}")
        return
    con.print(f"account {view['account']}  as of {view['asof']}  marks: {view['source']}")
    t = Table(title="structures")
    for c in ("bot", "underlying", "legs", "shares", "spot", "days", "collateral", "max loss", "value", "P&L",
              "delta", "gamma", "theta", "vega"):
        t.add_column(c, justify="left" if c in ("bot", "underlying") else "right")
    for s in view["structures"]:
        t.add_row(s["bot"], s["underlying"], str(s["legs"]), f"{s['shares']:g}", f"{s['spot']:.2f}",
                  str(s["days_to_expiry"]), f"{s['collateral']:,.2f}",
                  "unbounded" if s["max_loss"] is None else f"{s['max_loss']:,.2f}", f"{s['value']:,.2f}",
                  f"{s['pnl']:+,.2f}", f"{s['delta']:.2f}", f"{s['gamma']:.4f}", f"{s['theta']:.2f}",
                  f"{s['vega']:.2f}")
    con.print(t)
    t = Table(title="legs")
    for c in ("bot", "symbol", "right", "strike", "expiry", "days", "contracts", "premium", "mark", "value", "P&L",
              "delta", "theta", "vega"):
        t.add_column(c, justify="left" if c in ("bot", "symbol", "right", "expiry") else "right")
    for r in view["legs"]:
        t.add_row(r["bot"], r["symbol"], r["right"], f"{r['strike']:g}", r["expiry"], str(r["days_to_expiry"]),
                  f"{r['contracts']:+g}", f"{r['premium']:.2f}", f"{r['mark']:.2f}", f"{r['value']:,.2f}",
                  f"{r['pnl']:+,.2f}", f"{r['delta']:.2f}", f"{r['theta']:.2f}", f"{r['vega']:.2f}")
    con.print(t)
    tot = view["totals"]
    con.print(f"total: {tot['legs']} legs, value {tot['value']:,.2f}, P&L {tot['pnl']:+,.2f}, collateral "
              f"{tot['collateral']:,.2f}, delta {tot['delta']:.2f}, theta {tot['theta']:.2f}/yr, vega {tot['vega']:.2f}")


def _asof_ns(asof: str | None) -> int:
    from datetime import datetime

    from tradefleet.orchestrator.clock import LiveClock, dt_to_ns

    if asof is None:
        return LiveClock().now_ns()
    try:
        return dt_to_ns(datetime.fromisoformat(asof))
    except ValueError as exc:
        raise _input_error(f"--asof: {asof!r} is not an ISO 8601 time with an offset ({exc})") from None


def _expiry(expiry: str | None) -> date | None:
    if expiry is None:
        return None
    try:
        return date.fromisoformat(expiry)
    except ValueError:
        raise _input_error(f"--expiry: {expiry!r} is not YYYY-MM-DD") from None


def alpaca_chain(symbol: str, account: str, config: Path | None, asof_ns: int, spot: float | None,
                 expiry: date | None) -> OptionChain:
    """Fetch ``symbol``'s chain from Alpaca with the credentials of ``[accounts.<account>]``."""
    from tradefleet.app.config import SecretRef
    from tradefleet.orchestrator.errors import ConfigError
    from tradefleet.risk.options.alpaca_chain import ChainFilter, load_alpaca_chain, make_clients

    acct = load(config).accounts.get(account)
    if acct is None:
        raise ConfigError(f"no [accounts.{account}] in the config: add venue = \"alpaca\", "
                          "api_key = \"env:...\", api_secret = \"env:...\"")
    key, secret = acct.api_key, acct.api_secret
    if not isinstance(key, SecretRef) or not isinstance(secret, SecretRef):
        raise ConfigError(f"[accounts.{account}]: api_key and api_secret are required for Alpaca data")
    data, trading, stocks = make_clients(key.resolve().get_secret_value(), secret.resolve().get_secret_value(),
                                         acct.base_url)
    return load_alpaca_chain(data, symbol, asof_ns, ChainFilter(expiry_gte=expiry, expiry_lte=expiry),
                             trading=trading, stocks=stocks if spot is None else None, spot=spot)


def chain_rows(chain: OptionChain, rate: float, dividend: float, steps: int = 100) -> list[dict[str, Any]]:
    """Return one dict per live quote of ``chain``: market, implied vol and model Greeks."""
    from tradefleet.risk.options.portfolio import ChainPricer

    chain = chain.with_implied_vols(rate, dividend, steps=steps)
    live = [q for q in chain if q.contract.years_to_expiry(chain.asof_ns) > 0]
    priced = [q for q in live if q.iv is not None]
    val = ChainPricer(chain, rate, dividend, steps=steps).value([q.contract for q in priced]) if priced else None
    index = {q.contract.symbol: i for i, q in enumerate(priced)}
    rows = []
    for q in live:
        i = index.get(q.contract.symbol)
        row: dict[str, Any] = {"symbol": q.contract.symbol, "type": q.contract.kind, "strike": q.contract.strike,
                               "expiry": q.contract.expiry.isoformat(), "style": q.contract.style, "bid": q.bid,
                               "ask": q.ask, "mid": q.mid, "iv": q.iv, "open_interest": q.open_interest}
        row["price"] = None if i is None or val is None else float(val.price[i])
        for g in GREEKS:
            row[g] = None if i is None or val is None else float(getattr(val, g)[i])
        rows.append(row)
    return rows


def _print_price(r: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    con.print(f"{r['style']} {r['type']}  S={r['spot']:g} K={r['strike']:g} T={r['expiry']:g}y "
              f"r={r['rate']:g} q={r['dividend']:g}")
    con.print(f"model: {r['model']}")
    if "implied_vol" in r:
        con.print(f"price {r['price']:.6f}  ->  implied vol {r['implied_vol']:.6f} ({r['implied_vol']:.2%})")
    else:
        con.print(f"vol {r['vol']:.6g}  ->  price {r['price']:.6f}")
    table = Table()
    table.add_column("greek")
    table.add_column("value", justify="right")
    table.add_column("by bump", justify="right")
    table.add_column("per", justify="left")
    g = r["greeks"]
    per = {"delta": "1 of spot", "gamma": "1 of spot", "theta": f"year ({g['theta'] / 365:.6f}/day)",
           "vega": f"1.00 vol ({g['vega'] / 100:.6f}/vol pt)", "rho": f"1.00 rate ({g['rho'] / 100:.6f}/1%)"}
    for g in GREEKS:
        table.add_row(g, f"{r['greeks'][g]:.8f}", f"{r['greeks_bump'][g]:.8f}", per[g])
    con.print(table)


def register(app: typer.Typer) -> None:
    options_app = typer.Typer(help="Option pricing, implied vol, strategy payoffs, volatility.", no_args_is_help=True)

    @options_app.command("price")
    def price(
        type_: str = typer.Option("call", "--type", help="call or put"),
        style: str = typer.Option("european", "--style", help="european or american"),
        spot: str = typer.Option(None, "--spot", help="Underlying price."),
        strike: str = typer.Option(None, "--strike", help="Strike price."),
        expiry: str = typer.Option(None, "--expiry", help="Time to expiry in years."),
        rate: str = typer.Option("0", "--rate", help="Risk-free rate, continuous (0.05 = 5%)."),
        vol: str = typer.Option(None, "--vol", help="Volatility (0.2 = 20%); omit when giving --price."),
        dividend: str = typer.Option("0", "--dividend", help="Dividend yield, continuous."),
        premium: str = typer.Option(None, "--price", help="Market price: solve the implied volatility."),
        steps: str = typer.Option("500", "--steps", help="Binomial steps (american)."),
        as_json: bool = JsonOption,
    ) -> None:
        """Price an option and print every Greek (analytic or tree, and by bump)."""
        kind = _choice("--type", type_, ("call", "put"))
        sty = _choice("--style", style, ("european", "american"))
        result = price_option(kind, sty, _num("--spot", spot), _num("--strike", strike), _num("--expiry", expiry),
                              _num("--rate", rate), _num("--dividend", dividend), _opt_num("--vol", vol),
                              _opt_num("--price", premium), _int("--steps", steps))
        if as_json:
            emit_json(result)
        else:
            _print_price(result)

    @options_app.command("positions")
    def positions_cmd(
        config: Path | None = ConfigOption,
        store_url: str | None = StoreOption,
        account: str = typer.Option(None, "--account", help="Account whose positions to show (default: the last run's)."),
        asof: str = typer.Option(None, "--asof", help="Mark time, ISO 8601 with offset (default: the account's "
                                 "last equity snapshot)."),
        spot: list[str] = typer.Option([], "--spot", help="UNDERLYING=PRICE, instead of the replay data's close "
                                       "(repeatable)."),
        vol: list[str] = typer.Option([], "--vol", help="UNDERLYING=VOL (0.25 = 25 %), instead of the GARCH vol "
                                      "(repeatable)."),
        rate: str = typer.Option("0.02", "--rate", help="Risk-free rate, continuous."),
        as_json: bool = JsonOption,
    ) -> None:
        """Open option legs of an account: legs, Greeks, P&L, collateral and days to expiry, by structure."""
        from tradefleet.app.cli.common import open_existing_store
        from tradefleet.dashboard.options_view import options_view
        from tradefleet.orchestrator.clock import LiveClock

        spots, vols = _pairs("--spot", spot), _pairs("--vol", vol)
        when = _asof_ns(asof) if asof is not None else None
        r = _num("--rate", rate)
        cfg = load(config)
        store = open_existing_store(cfg, store_url)
        try:
            view = options_view(cfg, store, LiveClock().now_ns(), account, when, spots, vols, r)
        finally:
            store.close()
        if as_json:
            emit_json(view)
            return
        _print_positions(view)

    @options_app.command("payoff")
    def payoff(
        strategy: str = typer.Argument(..., help="bull-call-spread, bear-put-spread, bull-put-spread, "
                                       "bear-call-spread, covered-call, protective-put, iron-condor, wheel (= wheel-put), "
                                       "wheel-call"),
        spot: str = typer.Option(None, "--spot", help="Underlying price at entry."),
        strikes: str = typer.Option(None, "--strikes", help="Comma-separated strikes, ascending (e.g. 95,105)."),
        expiry: str = typer.Option("0.0833", "--expiry", help="Time to expiry in years."),
        rate: str = typer.Option("0", "--rate", help="Risk-free rate, continuous."),
        vol: str = typer.Option("0.2", "--vol", help="Volatility used to price the legs."),
        dividend: str = typer.Option("0", "--dividend", help="Dividend yield, continuous."),
        multiplier: str = typer.Option("100", "--multiplier", help="Units per contract."),
        out: Path = typer.Option(None, "--out", help="Write the payoff diagram here (.html, or .png with kaleido)."),
        as_json: bool = JsonOption,
    ) -> None:
        """Show a strategy's P&L at expiry (premiums, extremes, breakevens) and draw its diagram."""
        from tradefleet.bots.options.chart import payoff_figure, write_chart
        from tradefleet.bots.options.strategies import Market, build

        if strikes is None:
            raise _input_error("missing --strikes (comma-separated, e.g. 95,105)")
        ks = [_num("--strikes", k.strip()) for k in strikes.split(",") if k.strip()]
        m = Market(_num("--spot", spot), _num("--rate", rate), _num("--vol", vol), _num("--expiry", expiry),
                   _num("--dividend", dividend), _num("--multiplier", multiplier))
        strat = build(strategy.strip().lower(), m, ks)
        summary = strat.summary()
        summary["greeks"] = strat.greeks(m.rate, m.vol, m.dividend).as_dict()
        if out is not None:
            summary["chart"] = str(write_chart(payoff_figure(strat, m.rate, m.vol, m.dividend), out))
        if as_json:
            emit_json({k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in summary.items()}
                      | {"unbounded": [k for k, v in summary.items() if isinstance(v, float) and math.isinf(v)]})
            return
        from rich.console import Console

        con = Console()
        con.print(f"[bold]{strat.name}[/bold]  spot {strat.spot:g}, {strat.expiry * 365:.0f} days, "
                  f"x{strat.multiplier:g}")
        for leg in strat.legs:
            con.print(f"  {leg.describe()}")
        fmt = lambda v: "unbounded" if math.isinf(v) else f"{v:,.2f}"  # noqa: E731
        con.print(f"net premium {summary['net_premium']:,.2f} ({'debit' if strat.net_premium > 0 else 'credit'})")
        con.print(f"max profit {fmt(strat.max_profit())}   max loss {fmt(strat.max_loss())}   breakevens "
                  + (", ".join(f"{b:,.2f}" for b in strat.breakevens()) or "none"))
        if out is not None:
            con.print(f"payoff diagram written to {summary['chart']}")

    @options_app.command("chain")
    def chain_cmd(
        source: str = typer.Argument(..., help="Chain CSV path, or an underlying symbol with --alpaca."),
        alpaca: bool = typer.Option(False, "--alpaca", help="Fetch SOURCE's chain from Alpaca's options data API."),
        account: str = typer.Option("alpaca", "--account", help="[accounts.NAME] holding the Alpaca credentials."),
        config: Path | None = ConfigOption,
        spot: str = typer.Option(None, "--spot", help="Underlying price (Alpaca: default its last trade)."),
        rate: str = typer.Option("0", "--rate", help="Risk-free rate, continuous."),
        dividend: str = typer.Option("0", "--dividend", help="Dividend yield, continuous."),
        underlying: str = typer.Option(None, "--underlying", help="Underlying symbol if the CSV has none."),
        asof: str = typer.Option(None, "--asof", help="Valuation time, ISO 8601 with offset (default: now)."),
        expiry: str = typer.Option(None, "--expiry", help="Only this expiry (YYYY-MM-DD)."),
        as_json: bool = JsonOption,
    ) -> None:
        """Load a chain (CSV or Alpaca), solve missing implied vols from the mids, show every Greek."""
        from tradefleet.risk.options.chain import load_chain_csv

        asof_ns, only = _asof_ns(asof), _expiry(expiry)
        if alpaca:
            chain = alpaca_chain(source.upper(), account, config, asof_ns, _opt_num("--spot", spot), only)
            if chain.spot is None:
                raise _input_error(f"no spot for {source}: pass --spot")
        else:
            chain = load_chain_csv(Path(source), asof_ns, underlying, _num("--spot", spot))
            if only is not None:
                chain = chain.select(expiry=only)
        rows = chain_rows(chain, _num("--rate", rate), _num("--dividend", dividend))
        if as_json:
            emit_json(rows)
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{chain.underlying} {'(Alpaca)' if alpaca else source}: {len(rows)} contracts, "
                            f"spot {chain.spot:g}")
        cols = ("symbol", "bid", "ask", "iv", "oi", "model", "delta", "gamma", "theta/d", "vega/pt")
        for c in cols:
            table.add_column(c, justify="left" if c == "symbol" else "right", no_wrap=True)

        def fmt(v: Any, spec: str) -> str:
            return "-" if v is None else format(v, spec)

        for r in rows:
            g = {k: r[k] for k in GREEKS}
            table.add_row(r["symbol"], fmt(r["bid"], ".2f"), fmt(r["ask"], ".2f"), fmt(r["iv"], ".1%"),
                          fmt(r["open_interest"], "d"), fmt(r["price"], ".2f"), fmt(g["delta"], ".3f"),
                          fmt(g["gamma"], ".4f"), fmt(None if g["theta"] is None else g["theta"] / 365, ".3f"),
                          fmt(None if g["vega"] is None else g["vega"] / 100, ".3f"))
        Console().print(table)

    @options_app.command("vol")
    def vol_cmd(
        horizon: int = typer.Option(21, "--horizon", help="Forecast horizon in trading days."),
        as_json: bool = JsonOption,
    ) -> None:
        """Fit GARCH(1,1) to the bundled S&P 500 and compare realised vol with the VIX."""
        from rich.progress import Progress, SpinnerColumn, TextColumn

        from tradefleet.risk.options.vol import realized_vs_implied, sp500_garch, vix_implied
        from tradefleet.scrapers.bundled import load_dataset

        if not 1 <= horizon <= 2520:
            raise _input_error(f"--horizon: {horizon} is not in [1, 2520]")
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), transient=True, disable=as_json) as bar:
            task = bar.add_task("fitting GARCH(1,1) on S&P 500 1999-2018", total=2)
            fit = sp500_garch()
            bar.update(task, advance=1, description="realised vs VIX")
            cmp = realized_vs_implied(load_dataset("sp500")["close"], vix_implied())
            bar.update(task, advance=1)
        result = {"model": "GARCH(1,1), constant mean, normal, percent log-returns", "nobs": fit.nobs,
                  "mu": fit.mu, "omega": fit.omega, "alpha": fit.alpha, "beta": fit.beta,
                  "persistence": fit.persistence, "long_run_vol": fit.long_run_vol,
                  "forecast_vol_1d": fit.forecast_vol(1), f"forecast_vol_{horizon}d": fit.forecast_vol(horizon),
                  "realized_vs_vix_2014_2018": cmp.summary}
        if as_json:
            emit_json(result)
            return
        from rich.console import Console

        con = Console()
        con.print(f"GARCH(1,1) on {fit.nobs} S&P 500 daily returns: omega {fit.omega:.5f}, alpha {fit.alpha:.4f}, "
                  f"beta {fit.beta:.4f} (persistence {fit.persistence:.4f})")
        con.print(f"long-run vol {fit.long_run_vol:.2%}; next day {fit.forecast_vol(1):.2%}; "
                  f"next {horizon} days {fit.forecast_vol(horizon):.2%} (annualised)")
        s = cmp.summary
        con.print(f"VIX vs realised (21d forward), {s['days']:.0f} days: mean VIX {s['mean_implied']:.2%}, "
                  f"mean realised {s['mean_realized']:.2%}, premium {s['mean_premium']:.2%}, "
                  f"VIX above realised {s['share_implied_above']:.0%} of days")

    app.add_typer(options_app, name="options")
