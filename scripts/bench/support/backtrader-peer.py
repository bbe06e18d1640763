"""The backtest bench's peer: the platform's trend follower run in backtrader on the same one-minute bar files.

Rules aligned with the platform's run (scripts/bench/backtest.ts), so the two P&Ls agree to the cent:
- signals: EMAs with the arithmetic of trading-signals' EMA (seeded with the first close, alpha 2/(n+1), primed
  after n closes); long `max_position` units while fast > slow, short while below, flat when equal; the ATR only
  gates the size (zero while no true range has moved), as the bench's risk budget never binds under the cap;
- readiness: nothing trades until every instrument is primed, judged bar by bar in file order (the platform's
  strategy trades only once all its instruments are primed, and merges equal times in file order);
- fills: a market order for the difference to the target, filled whole at the close of the bar that made it, one
  half-spread (`half_spread_ticks` ticks) worse (backtrader's cheat-on-close with fixed slippage, which the
  platform's bar fill model does at the bar's close quote); integer units; no partial fills;
- fees: `fee_bps` basis points of each fill's notional (the platform's taker fee);
- P&L: cash plus positions marked at their last close, less the initial cash.

Prints one JSON line: bars, orders, fills, fees, pnl, wall and CPU seconds.
"""

import argparse
import datetime as dt
import json
import math
import sys
import time

import backtrader as bt

EPOCH = dt.datetime(1970, 1, 1)


def bar_time(text):
    """The bar files' times are integer microseconds since the epoch (naive UTC for backtrader)."""
    return EPOCH + dt.timedelta(microseconds=int(text))


class Ema:
    """trading-signals' EMA, operation for operation, so both sides compare the same doubles."""

    def __init__(self, n):
        self.n = n
        self.w = 2 / (n + 1)
        self.result = None
        self.count = 0

    def add(self, price):
        self.count += 1
        prev = price if self.result is None else self.result
        self.result = price * self.w + prev * (1 - self.w)

    @property
    def primed(self):
        return self.count >= self.n


class Signals:
    def __init__(self, p):
        self.fast = Ema(p.fast)
        self.slow = Ema(p.slow)
        self.atr_bars = 0
        self.moved = False
        self.prev_close = None
        self.atr_period = p.atr

    def add(self, high, low, close):
        self.fast.add(close)
        self.slow.add(close)
        pc = self.prev_close
        if high > low or (pc is not None and (high != pc or low != pc)):
            self.moved = True
        self.prev_close = close
        self.atr_bars += 1

    @property
    def primed(self):
        return self.fast.primed and self.slow.primed and self.atr_bars >= self.atr_period


class TrendFollower(bt.Strategy):
    params = (("fast", 10), ("slow", 30), ("atr", 14), ("max_position", 100))

    def __init__(self):
        self.signals = [Signals(self.p) for _ in self.datas]
        self.seen = [0] * len(self.datas)
        self.held = [0] * len(self.datas)
        self.unprimed = len(self.datas)
        self.orders = 0
        self.final_value = None

    def prenext(self):
        self.next()

    def next(self):
        for i, d in enumerate(self.datas):
            if len(d) == self.seen[i]:
                continue  # no bar of this instrument in this minute
            self.seen[i] = len(d)
            s = self.signals[i]
            was = s.primed
            s.add(d.high[0], d.low[0], d.close[0])
            if s.primed and not was:
                self.unprimed -= 1
            if not s.primed or self.unprimed:
                continue
            fast, slow = s.fast.result, s.slow.result
            direction = 1 if fast > slow else -1 if fast < slow else 0
            target = direction * self.p.max_position if s.moved else 0
            delta = target - self.held[i]
            if delta == 0:
                continue
            self.held[i] = target
            self.orders += 1
            if delta > 0:
                self.buy(data=d, size=delta)
            else:
                self.sell(data=d, size=-delta)

    def stop(self):
        # cheat-on-close orders execute in the cycle after the bar that made them; the last bar has no such cycle,
        # so the broker runs once more to fill them at that bar's close, as the platform does at once
        self.broker.next()
        self.final_value = self.broker.getvalue()


class BarFile(bt.feeds.GenericCSVData):
    """The platform's bar CSV: ts_open,ts,instrument,bar_type,open,high,low,close,volume,vwap,trades (ts = close)."""

    params = (
        ("headers", True),
        ("dtformat", bar_time),
        ("datetime", 1),
        ("time", -1),
        ("open", 4),
        ("high", 5),
        ("low", 6),
        ("close", 7),
        ("volume", 8),
        ("openinterest", -1),
        ("timeframe", bt.TimeFrame.Minutes),
        ("compression", 1),
    )


class BasisPointFee(bt.CommInfoBase):
    params = (("stocklike", True), ("commtype", bt.CommInfoBase.COMM_PERC), ("percabs", True), ("commission", 0.0))


def main():
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("--fast", type=int, required=True)
    a.add_argument("--slow", type=int, required=True)
    a.add_argument("--atr", type=int, required=True)
    a.add_argument("--max-position", type=int, required=True)
    a.add_argument("--fee-bps", type=float, required=True)
    a.add_argument("--half-spread", type=float, required=True, help="the fill's distance from the close, in price")
    a.add_argument("--cash", type=float, required=True)
    a.add_argument("files", nargs="+")
    o = a.parse_args()

    wall0, cpu0 = time.perf_counter(), time.process_time()
    cerebro = bt.Cerebro(stdstats=False, runonce=False, preload=True)
    for f in o.files:
        cerebro.adddata(BarFile(dataname=f))
    cerebro.addstrategy(TrendFollower, fast=o.fast, slow=o.slow, atr=o.atr, max_position=o.max_position)
    broker = cerebro.getbroker()
    broker.setcash(o.cash)
    broker.set_coc(True)
    # slippage at the bar's close price (slip_open applies it to market orders), never capped by the bar's range
    broker.set_slippage_fixed(o.half_spread, slip_open=True, slip_limit=True, slip_match=True, slip_out=True)
    broker.addcommissioninfo(BasisPointFee(commission=o.fee_bps / 10_000))
    strat = cerebro.run()[0]
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0

    bars = sum(len(d) for d in strat.datas)
    fills = 0
    fees = 0.0
    for order in broker.orders:
        if order.status == order.Completed:
            fills += 1
            fees += order.executed.comm
    pnl = strat.final_value - o.cash
    out = {
        "bars": bars,
        "orders": strat.orders,
        "fills": fills,
        "fees": round(fees, 2),
        "pnl": round(pnl, 2),
        "wallSec": round(wall, 3),
        "cpuSec": round(cpu, 3),
        "backtrader": bt.__version__,
        "python": sys.version.split()[0],
    }
    if not math.isfinite(pnl):
        raise SystemExit(f"backtrader P&L is not finite: {pnl}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
