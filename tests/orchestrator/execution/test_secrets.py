"""Secrets: redaction, encrypted files, and a canary found nowhere after a full fault run."""

from __future__ import annotations

import io
import logging
import sqlite3
import traceback
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from tradefleet.orchestrator.bus import InProcessBus, Topic
from tradefleet.orchestrator.errors import BrokerError, ConfigError
from tradefleet.orchestrator.execution.oms import OrderManager
from tradefleet.orchestrator.execution.reconcile import Reconciler
from tradefleet.orchestrator.execution.secrets import (REDACTOR, RedactingFilter, encrypt_env, load_encrypted_env, redact,
                                            resolve_secret)
from tests.orchestrator.execution.venues import CANARY, VENUES, make_case


def test_resolved_secret_is_masked_in_text_and_base64() -> None:
    import base64

    secret = resolve_secret("env:TF_T1", {"TF_T1": "zz-top-secret-1"})
    assert isinstance(secret, SecretStr) and "zz-top" not in repr(secret)
    assert redact("key=zz-top-secret-1!") == "key=***!"
    assert redact(base64.b64encode(b"zz-top-secret-1").decode()) == "***"


def test_missing_secret_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="TF_NOT_SET"):
        resolve_secret("env:TF_NOT_SET", {})


def test_encrypted_secrets_file_round_trip(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    key = SecretStr(Fernet.generate_key().decode())
    path = tmp_path / "secrets.enc"
    path.write_bytes(encrypt_env({"ALPACA_KEY": "enc-secret-value-9"}, key))
    env = load_encrypted_env(path, key)
    assert resolve_secret("env:ALPACA_KEY", env).get_secret_value() == "enc-secret-value-9"
    assert b"enc-secret-value-9" not in path.read_bytes()
    assert redact("enc-secret-value-9") == "***"
    with pytest.raises(ConfigError, match="cannot decrypt"):
        load_encrypted_env(path, SecretStr(Fernet.generate_key().decode()))


def test_filter_masks_args_and_tracebacks() -> None:
    REDACTOR.add("filter-secret-77")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactingFilter())
    log = logging.getLogger("tf.test.filter")
    log.addHandler(handler)
    try:
        try:
            raise RuntimeError("boom filter-secret-77")
        except RuntimeError:
            log.exception("failed with %s", "filter-secret-77")
    finally:
        log.removeHandler(handler)
    text = out.getvalue()
    assert "filter-secret-77" not in text and text.count("***") >= 2 and "RuntimeError" in text


def _dump_sqlite(path: Path) -> str:
    con = sqlite3.connect(path)
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


def test_canary_secret_found_nowhere_after_a_full_fault_run(tmp_path: Path) -> None:
    from tradefleet.orchestrator.execution.secrets import install_redaction
    from tradefleet.orchestrator.store import Store

    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    flt = install_redaction(root)
    db = tmp_path / "canary.db"
    store = Store.open(f"sqlite:///{db}")
    alerts: list[Any] = []
    errors: list[str] = []
    envs: list[dict[str, str]] = []
    try:
        for name in VENUES:
            case = make_case(name, account=f"acct-{name}")
            envs.append(case.environ)
            bus = InProcessBus()
            bus.subscribe(Topic.ALERTS, lambda _t, a: alerts.append(a))
            acct = case.broker.account_name
            oms = OrderManager(store, {acct: case.broker}, case.clock, bus)
            try:
                s, p = case.submit_method, case.submit_path
                steps = [("drop", {}), ("status", {"status": 503}), ("reset", {}), (None, {}),
                         ("status", {"status": 429, "headers": {"Retry-After": "1"}})]
                for i, (fault, kw) in enumerate(steps):
                    if fault:
                        case.server.fault(s, p, fault, **kw)
                    oms.submit(case.order(f"tf-{name}-{i}"))
                case.book.behaviour.append("reject")
                oms.submit(case.order(f"tf-{name}-rej"))
                Reconciler(oms, store, case.clock, bus).run(acct)
                case.server.fault("GET", case.read_path, "status", status=401, times=3,
                                  body={"message": f"unauthorized key {CANARY['key']}", "error": "unauthorized",
                                        "errorMessage": f"unauthorized key {CANARY['key']}"})
                for call in (case.broker.account, case.broker.positions):
                    try:
                        call()
                    except BrokerError as exc:
                        errors.append("".join(traceback.format_exception(exc)))
                try:
                    oms.submit(case.order(f"tf-{name}-after-auth"))
                except BrokerError as exc:
                    errors.append("".join(traceback.format_exception(exc)))
            finally:
                case.server.close()
    finally:
        root.removeHandler(handler)
        root.removeFilter(flt)
        root.setLevel(old_level)
        store.close()
    haystacks = {"log": out.getvalue(), "store": _dump_sqlite(db),
                 "alerts": "\n".join(f"{a.kind} {a.message}" for a in alerts), "errors": "\n".join(errors)}
    assert len(alerts) > 10 and errors and "order_unknown" in haystacks["alerts"]
    needles = set(CANARY.values()) | {v for env in envs for v in env.values() if len(v) > 8 and "BEGIN" not in v}
    needles |= {line for env in envs for v in env.values() if "BEGIN" in v for line in v.splitlines()[1:3]}
    for where, text in haystacks.items():
        for needle in needles:
            assert needle not in text, f"secret found in {where}"
    assert "***" in haystacks["errors"]  # the venue echoed the key; it was masked, not absent by luck
