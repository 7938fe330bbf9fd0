"""Opening a store: folder and pragmas, migrations up and down, the head fast path,
models matching the hand-written migrations, and bad databases."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, inspect, text

from tradefleet.orchestrator.errors import StoreError
from tradefleet.orchestrator.store import HEAD_REVISION, Store
from tradefleet.orchestrator.store.connect import parse_url
from tradefleet.orchestrator.store.migrate import current_revision, downgrade, upgrade, upgrade_to_head
from tradefleet.orchestrator.store.models import Base

TABLES = {"bots", "signals", "gate_decisions", "orders", "fills", "positions", "equity",
          "control_state", "control_events", "runs"}
"""The kernel's tables (other packages add theirs with later migrations, e.g. 0002)."""


def _tables(store: Store) -> set[str]:
    return set(inspect(store.engine).get_table_names()) - {"alembic_version"}


def _diff_table(diff: object) -> str:
    """The table a compare_metadata entry is about."""
    first = diff[0] if isinstance(diff, list) else diff  # modify_* entries come in lists
    assert isinstance(first, tuple)
    if len(first) >= 3 and isinstance(first[2], str):  # (op, schema, table, ...)
        return first[2]
    obj = first[1]
    table = obj if isinstance(obj, Table) else getattr(obj, "table", None)
    return str(getattr(table, "name", ""))


def _revision(store: Store) -> str | None:
    with store.engine.connect() as conn:
        return current_revision(conn)


def test_open_creates_folder_sets_pragmas_and_migrates(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "var" / "tf.db"
    with Store.open(f"sqlite:///{path}") as store:
        assert path.is_file()
        with store.engine.connect() as conn:
            pragmas = {p: conn.exec_driver_sql(f"PRAGMA {p}").scalar()
                       for p in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}
        assert pragmas == {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1,
                           "busy_timeout": 10_000}
        assert _tables(store) >= TABLES
        assert _revision(store) == HEAD_REVISION


def test_default_url_is_under_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with Store.open() as store:
        assert store.where == "sqlite:///var/tradefleet.db"
    assert (tmp_path / "var" / "tradefleet.db").is_file()


def test_import_does_not_load_alembic() -> None:
    code = "import sys, tradefleet.orchestrator.store; print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'pandas', 'numpy')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_open_at_head_skips_alembic(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    Store.open(sqlite_url).close()
    monkeypatch.setitem(sys.modules, "alembic", None)  # any alembic import now fails
    with Store.open(sqlite_url) as store:
        assert _revision(store) == HEAD_REVISION
    fresh = sqlite_url.replace("tradefleet.db", "fresh.db")
    with pytest.raises(ImportError):  # proves the block above would have caught a migration
        Store.open(fresh)


def test_upgrade_to_head_reports_whether_it_ran(sqlite_url: str) -> None:
    with Store.open(sqlite_url) as store:
        assert upgrade_to_head(store.engine) is False
        downgrade(store.engine, "base")
        assert upgrade_to_head(store.engine) is True


def test_downgrade_base_then_upgrade(store_url: str) -> None:
    with Store.open(store_url) as store:
        store.record_equity(1, 1, 0, 1)
        downgrade(store.engine, "base")
        assert _tables(store) == set()
        assert _revision(store) is None
        upgrade(store.engine, "head")
        assert _tables(store) >= TABLES and _revision(store) == HEAD_REVISION
        assert store.equity_curve() == []
        store.record_equity(2, 1, 0, 1)
        assert [p.ts_ns for p in store.equity_curve()] == [2]


def test_concurrent_first_opens_migrate_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'tf.db'}"
    code = ("import sys; from tradefleet.orchestrator.store import Store; s = Store.open(sys.argv[1]);"
            " s.record_equity(int(sys.argv[2]), 1, 0, 1); s.close(); print('ok')")
    procs = [subprocess.Popen([sys.executable, "-c", code, url, str(i)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(2)]
    results = [p.communicate() for p in procs]
    assert [out.strip() for out, _ in results] == ["ok"] * 2, [err for _, err in results]
    with Store.open(url) as store:
        assert sorted(p.ts_ns for p in store.equity_curve()) == [0, 1]


def test_alembic_command_line_env(tmp_path: Path) -> None:
    """env.py also works the usual Alembic way: ``-x url=...`` online, and ``--sql``."""
    import argparse
    import io

    from alembic import command
    from alembic.config import Config

    from tradefleet.orchestrator.store.migrate import MIGRATIONS_DIR

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    out = io.StringIO()
    cfg = Config(output_buffer=out, cmd_opts=argparse.Namespace(x=[f"url={url}"]))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    command.upgrade(cfg, "head", sql=True)
    assert "CREATE TABLE orders" in out.getvalue() and not (tmp_path / "cli.db").exists()
    command.upgrade(cfg, "head")
    with Store.open(url) as store:
        assert _revision(store) == HEAD_REVISION


def test_models_match_migrations(store_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with Store.open(store_url) as store, store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, Base.metadata)
        assert [d for d in diffs if _diff_table(d) in TABLES] == []
        # the comparison does see a drift when there is one
        drifted = MetaData()
        for table in Base.metadata.tables.values():
            table.to_metadata(drifted)
        Table("extra", drifted, Column("id", Integer, primary_key=True))
        drifted.tables["equity"].append_column(Column("extra_col", Integer))
        diffs = [d for d in compare_metadata(ctx, drifted) if _diff_table(d) in TABLES | {"extra"}]
        assert sorted(d[0] for d in diffs) == ["add_column", "add_table"]


def test_garbage_file_is_store_error_naming_path(tmp_path: Path) -> None:
    path = tmp_path / "tradefleet.db"
    garbage = b"this is not a database\x00\xff" * 300
    path.write_bytes(garbage)
    with pytest.raises(StoreError, match=f"store {path}: not a SQLite database or corrupt"):
        Store.open(f"sqlite:///{path}")
    assert path.read_bytes() == garbage  # nothing overwritten


def test_failed_migration_leaves_database_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "tf.db"
    con = sqlite3.connect(path)
    con.execute("create table runs (id integer)")  # clashes with the last table 0001 creates
    con.commit()
    with pytest.raises(StoreError, match=f"store {path}: cannot open or migrate: table runs already exists"):
        Store.open(f"sqlite:///{path}")
    tables = [r[0] for r in con.execute("select name from sqlite_master where type = 'table'")]
    con.close()
    assert tables == ["runs"]  # the tables created before the failure were rolled back


def test_directory_at_path_is_store_error(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    with pytest.raises(StoreError, match="is a directory"):
        Store.open(f"sqlite:///{tmp_path / 'db'}")


def test_unknown_revision_is_store_error(sqlite_url: str) -> None:
    with Store.open(sqlite_url) as store, store.engine.begin() as conn:
        conn.execute(text("update alembic_version set version_num = '9999'"))
    with pytest.raises(StoreError, match=f"cannot migrate to schema {HEAD_REVISION}.*9999"):
        Store.open(sqlite_url)


def test_unreachable_postgres_is_store_error() -> None:
    with pytest.raises(StoreError, match="store postgresql\\+psycopg://postgres:\\*\\*\\*@127.0.0.1:1/x: cannot open or migrate"):
        Store.open("postgresql://postgres:secret@127.0.0.1:1/x")


def test_url_parsing() -> None:
    assert parse_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert parse_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert parse_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    with pytest.raises(StoreError, match="not a SQLAlchemy URL"):
        parse_url("var/tradefleet.db")


def test_in_memory_store_works() -> None:
    with Store.open("sqlite://") as store:
        store.record_equity(1, 2, 0, 2)
        assert len(store.equity_curve()) == 1
