"""`spamguard serve`: the reference chat server (the ``server`` extra)."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import threading
from pathlib import Path
from typing import Any

from spamguard.cli.corpus import UsageError
from spamguard.engine import Engine
from spamguard.errors import RulesError, SpamguardError

__all__ = ["add_serve_parser"]

JWT_SECRET_ENV = "SPAMGUARD_JWT_SECRET"


def add_serve_parser(commands: Any) -> None:
    """Register ``spamguard serve``."""
    parser = commands.add_parser(
        "serve", help="run the reference chat server (the seed API with spamguard embedded)"
    )
    parser.add_argument("--rules", type=Path, help="rules file layered over the shipped rules")
    parser.add_argument(
        "--store",
        help="session store URL (default: SPAMGUARD_STORE_URL, the rules' store:, or memory)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--jwt-secret-env",
        default=JWT_SECRET_ENV,
        metavar="NAME",
        help=f"environment variable holding the HS256 secret (default {JWT_SECRET_ENV})",
    )
    parser.add_argument(
        "--session-ttl",
        type=float,
        default=3_600.0,
        metavar="SECONDS",
        help="how long an ended or idle engagement is remembered",
    )
    parser.set_defaults(run=_run_serve)


def _run_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn  # noqa: PLC0415 (the server extra, imported on use)

        from spamguard.server import ServerSettings, create_app  # noqa: PLC0415
        from spamguard.server.logs import log_json_lines  # noqa: PLC0415
    except ImportError as exc:
        raise UsageError(
            f"spamguard serve needs the server extra: pip install 'spamguard[server]' ({exc})"
        ) from exc
    secret = os.environ.get(args.jwt_secret_env, "")
    if not secret:
        raise UsageError(f"set the JWT secret in the environment variable {args.jwt_secret_env}")
    if not 0 < args.port < 65_536:
        raise UsageError(f"--port must be 1-65535, got {args.port}")
    try:
        settings = ServerSettings(jwt_secret=secret, session_ttl_s=args.session_ttl)
        engine = Engine(args.rules, store=args.store)
        app = create_app(settings, engine)
    except RulesError:
        raise
    except (ValueError, SpamguardError) as exc:
        raise UsageError(str(exc)) from exc
    log_json_lines()  # every non-allow verdict: one JSON line with its codes, on stderr
    _reload_on_sighup(engine)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def _reload_on_sighup(engine: Engine) -> None:
    """``kill -HUP`` reads the rules file again; bad rules leave the good ones in force.

    Uvicorn handles SIGINT and SIGTERM only, so SIGHUP stays ours. The handler only
    writes a byte to a pipe: a reload in the handler itself would run on the event loop's
    thread, and a second SIGHUP arriving during it would wait forever for the first's
    lock. A thread of its own reloads once for all the hang-ups it finds waiting, so the
    file is read after the last of them.
    """
    hangup = getattr(signal, "SIGHUP", None)
    if hangup is None or engine.rules.path is None:  # no SIGHUP on Windows; no file to read
        return
    woken, wake = os.pipe()
    os.set_blocking(wake, False)  # a full pipe holds wake-ups enough: drop the byte

    def reload_when_woken() -> None:
        while os.read(woken, 4096):
            # A refusal is logged by the engine, with the rules that stay in force.
            with contextlib.suppress(RulesError):
                engine.reload()

    threading.Thread(target=reload_when_woken, name="spamguard-rules-reload", daemon=True).start()

    def on_hangup(signum: int, frame: object) -> None:
        with contextlib.suppress(BlockingIOError):
            os.write(wake, b"\0")

    signal.signal(hangup, on_hangup)
