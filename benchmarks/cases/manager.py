"""TokenManager cases: hot path, stampede (threads, tasks, processes) and a fleet's month.

Skipped with a "not available" row while the manager API is not importable.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._common import (
    MET,
    MISSED,
    PYTHON,
    ROOT,
    EmulatorProcess,
    Row,
    Section,
    Settings,
    Stats,
    child_env,
)
from .signing import _interleaved

ISSUE_STATELESS = "POST /oauth2/v3/token"
ISSUE_V21 = "POST /oauth2/v2.1/token"


def _api() -> dict[str, Any] | str:
    """The manager API, or why it is not available."""
    try:
        from line_token import (
            AssertionSigner,
            AsyncTokenManager,
            StatelessIssuer,
            TokenManager,
            V21Issuer,
        )
        from line_token.stores import MemoryStore, SQLiteStore
    except ImportError as exc:
        return f"TokenManager not available ({exc})"
    return {
        "TokenManager": TokenManager,
        "AsyncTokenManager": AsyncTokenManager,
        "StatelessIssuer": StatelessIssuer,
        "V21Issuer": V21Issuer,
        "AssertionSigner": AssertionSigner,
        "MemoryStore": MemoryStore,
        "SQLiteStore": SQLiteStore,
    }


# --- hot path ---------------------------------------------------------------------------


class _Held:
    """The floor: a token and its deadline in an attribute."""

    __slots__ = ("token", "until")

    def __init__(self, token: str) -> None:
        self.token = token
        self.until = math.inf


def hot_path(settings: Settings, server: EmulatorProcess, api: dict[str, Any]) -> Section:
    """``token()`` on a fresh token vs reading an attribute and ``time.monotonic()``."""
    fx = server.fixture
    section = Section("Hot path: token() on a fresh token")
    issuer = api["StatelessIssuer"](fx.channel_id, fx.channel_secret)
    number = settings.n(100_000, 1_000)
    repeat = settings.n(30, 3)
    monotonic = time.monotonic
    with api["TokenManager"](issuer, store=api["MemoryStore"](), base_url=fx.base_url) as m:
        held = _Held(m.token())

        def floor() -> str | None:
            return held.token if monotonic() < held.until else None

        stats = _interleaved({"floor": floor, "token": m.token}, number, repeat)
    section.timing(
        "floor: attribute + time.monotonic()", stats["floor"], ref=stats["floor"], ref_name="floor"
    )
    section.timing(
        "TokenManager.token()",
        stats["token"],
        ref=stats["floor"],
        ref_name="floor",
        target="<= 2.00x floor",
        limit=2.0,
    )

    async def async_case() -> dict[str, Stats]:
        amgr = api["AsyncTokenManager"](
            api["StatelessIssuer"](fx.channel_id, fx.channel_secret),
            store=api["MemoryStore"](),
            base_url=fx.base_url,
        )
        try:
            aheld = _Held(await amgr.token())

            async def afloor() -> str | None:
                return aheld.token if monotonic() < aheld.until else None

            async def loop(fn: Callable[[], Any]) -> float:
                t0 = time.perf_counter()
                for _ in range(number):
                    await fn()
                return (time.perf_counter() - t0) / number

            samples: dict[str, list[float]] = {"floor": [], "token": []}
            for i in range(repeat):
                order = [("floor", afloor), ("token", amgr.token)]
                for name, fn in order if i % 2 == 0 else order[::-1]:
                    samples[name].append(await loop(fn))
            return {k: Stats.of(v) for k, v in samples.items()}
        finally:
            await amgr.close()

    astats = asyncio.run(async_case())
    section.timing(
        "async floor: await coroutine (attribute + monotonic)",
        astats["floor"],
        ref=astats["floor"],
        ref_name="async floor",
    )
    section.timing(
        "await AsyncTokenManager.token()",
        astats["token"],
        ref=astats["floor"],
        ref_name="async floor",
        target="<= 2.00x floor",
        limit=2.0,
    )
    section.notes.append(
        f"timeit-style loops: {repeat} rounds of {number:,} calls per contender, interleaved; "
        "the floor reads one attribute and calls time.monotonic(), which is all a fresh "
        "token needs."
    )
    return section


# --- stampede ---------------------------------------------------------------------------


def _count_row(section: Section, what: str, issues: list[int]) -> None:
    worst = max(issues)
    section.rows.append(
        Row(
            section.title,
            f"{what}: issue requests to LINE (max over runs)",
            str(worst),
            target="== 1",
            verdict=MET if worst == 1 else MISSED,
        )
    )


def stampede_threads(
    settings: Settings, server: EmulatorProcess, api: dict[str, Any], section: Section
) -> None:
    """1,000 threads call token() on one cold manager at once."""
    fx = server.fixture
    n_threads = settings.n(1000, 100)
    runs = settings.n(5, 1)
    times: list[float] = []
    floor: list[float] = []
    issues: list[int] = []
    for _ in range(runs):
        for kind in ("floor", "manager"):
            manager = api["TokenManager"](
                api["StatelessIssuer"](fx.channel_id, fx.channel_secret),
                store=api["MemoryStore"](),
                base_url=fx.base_url,
            )
            fn: Callable[[], object] = manager.token if kind == "manager" else (lambda: None)
            barrier = threading.Barrier(n_threads + 1)
            done: list[float] = []

            def worker(
                fn: Callable[[], object] = fn,
                barrier: threading.Barrier = barrier,
                done: list[float] = done,
            ) -> None:
                barrier.wait()
                fn()
                done.append(time.perf_counter())

            threads = [threading.Thread(target=worker) for _ in range(n_threads)]
            for t in threads:
                t.start()
            before = server.count(ISSUE_STATELESS)
            barrier.wait()
            t0 = time.perf_counter()
            for t in threads:
                t.join()
            elapsed = max(done) - t0
            if kind == "manager":
                times.append(elapsed)
                issues.append(server.count(ISSUE_STATELESS) - before)
            else:
                floor.append(elapsed)
            manager.close()
    fs = Stats.of(floor)
    section.timing(f"{n_threads:,} threads: barrier + no-op (floor)", fs, ref=fs, ref_name="floor")
    section.timing(
        f"{n_threads:,} threads: cold TokenManager.token()",
        Stats.of(times),
        ref=fs,
        ref_name="floor",
    )
    _count_row(section, f"{n_threads:,} threads", issues)


def stampede_tasks(
    settings: Settings, server: EmulatorProcess, api: dict[str, Any], section: Section
) -> None:
    """10,000 asyncio tasks await token() on one cold manager at once."""
    fx = server.fixture
    n_tasks = settings.n(10_000, 500)
    runs = settings.n(5, 1)

    async def one(kind: str) -> tuple[float, int]:
        manager = api["AsyncTokenManager"](
            api["StatelessIssuer"](fx.channel_id, fx.channel_secret),
            store=api["MemoryStore"](),
            base_url=fx.base_url,
        )

        async def noop() -> None:
            return None

        fn = manager.token if kind == "manager" else noop
        try:
            before = await asyncio.to_thread(server.count, ISSUE_STATELESS)
            t0 = time.perf_counter()
            await asyncio.gather(*(fn() for _ in range(n_tasks)))
            elapsed = time.perf_counter() - t0
            after = await asyncio.to_thread(server.count, ISSUE_STATELESS)
            return elapsed, after - before
        finally:
            await manager.close()

    times: list[float] = []
    floor: list[float] = []
    issues: list[int] = []
    for _ in range(runs):
        floor.append(asyncio.run(one("floor"))[0])
        elapsed, issued = asyncio.run(one("manager"))
        times.append(elapsed)
        issues.append(issued)
    fs = Stats.of(floor)
    section.timing(
        f"{n_tasks:,} tasks: gather of no-op coroutines (floor)", fs, ref=fs, ref_name="floor"
    )
    section.timing(
        f"{n_tasks:,} tasks: cold AsyncTokenManager.token()",
        Stats.of(times),
        ref=fs,
        ref_name="floor",
    )
    _count_row(section, f"{n_tasks:,} tasks", issues)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def redis_server() -> Iterator[str | None]:
    """Our own throw-away redis-server on a free loopback port (never 6379); None if absent."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = _free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def stampede_processes(
    settings: Settings, server: EmulatorProcess, section: Section, kind: str, where: str
) -> None:
    """8 processes, each with a cold manager on one shared store, call token() at once."""
    fx = server.fixture
    n_procs = settings.n(8, 3)
    runs = settings.n(5, 1)
    times: list[float] = []
    issues: list[int] = []
    for run in range(runs):
        location = where
        if kind == "sqlite":
            location = str(Path(where) / f"stampede-{run}.db")
        prefix = f"bench-{os.getpid()}-{run}"
        procs = [
            subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "benchmarks._stampede_child",
                    kind,
                    location,
                    prefix,
                    fx.base_url,
                    fx.channel_id,
                    fx.channel_secret,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                cwd=ROOT,
                env=child_env(),
                text=True,
            )
            for _ in range(n_procs)
        ]
        try:
            for p in procs:
                assert p.stdout is not None
                if p.stdout.readline().strip() != "ready":
                    raise RuntimeError(f"stampede child ({kind}) did not start")
            before = server.count(ISSUE_STATELESS)
            t0 = time.perf_counter()
            for p in procs:
                assert p.stdin is not None
                p.stdin.write("go\n")
                p.stdin.flush()
            for p in procs:
                assert p.stdout is not None
                if p.stdout.readline().strip() != "done":
                    raise RuntimeError(f"stampede child ({kind}) failed")
            times.append(time.perf_counter() - t0)
            issues.append(server.count(ISSUE_STATELESS) - before)
        finally:
            for p in procs:
                assert p.stdin is not None
                assert p.stdout is not None
                with contextlib.suppress(BrokenPipeError):
                    p.stdin.close()
                p.wait(timeout=30)
                p.stdout.close()
    label = "SQLiteStore" if kind == "sqlite" else "RedisStore"
    section.timing(f"{n_procs} processes on {label}: all hold a token", Stats.of(times))
    _count_row(section, f"{n_procs} processes on {label}", issues)


# --- fleet month ------------------------------------------------------------------------


@dataclass(slots=True)
class _Naive:
    """What a user writes with the SDK: issue at start and whenever the token expired."""

    issue: Callable[[], tuple[str, int]]
    clock: Callable[[], float]
    token: str | None = None
    expires_at: float = 0.0

    def get(self) -> str:
        if self.token is None or self.clock() >= self.expires_at:
            self.token, expires_in = self.issue()
            self.expires_at = self.clock() + expires_in
        return self.token


@dataclass(slots=True)
class FleetResult:
    """Requests that reached LINE, and the most live v2.1 tokens seen at once."""

    counts: dict[str, int] = field(default_factory=dict)
    peak_live: int = 0
    token_calls: int = 0


def fleet(settings: Settings, api: dict[str, Any]) -> Section:
    """A virtual month of N processes (each restarted N times) serving one channel."""
    import jwt
    from linebot.v3.oauth import ApiClient, ChannelAccessToken, Configuration

    from line_token import generate_key_pair
    from line_token.emulator import Emulator

    from .._emuproc import serve_nodelay

    n = settings.n(8, 3)
    days = settings.n(30, 1)
    step = 60.0
    steps = int(days * 86400 / step)
    restart_every = steps // (n + 1)  # each process restarts n times, staggered
    emulator = Emulator()
    clock = emulator.clock
    pair = generate_key_pair()
    section = Section(f"Fleet: {n} processes x {days} virtual days, {n} restarts each")
    tmp = tempfile.TemporaryDirectory(prefix="line-token-fleet-")
    results: dict[tuple[str, str], FleetResult] = {}
    with serve_nodelay(emulator) as base_url, tmp:
        sdk_api = ApiClient(Configuration(host=base_url))
        sdk = ChannelAccessToken(sdk_api)
        for kind in ("stateless", "v2.1"):
            for who in ("line-token", "SDK"):
                channel = emulator.create_channel()
                cid, secret = channel.channel_id, channel.channel_secret
                kid = emulator.register_public_key(cid, pair.public_jwk)
                signer = api["AssertionSigner"](cid, kid, pair.private_pem, clock=clock)
                db = Path(tmp.name) / f"{kind}.db"

                def make_manager(
                    kind: str = kind,
                    cid: str = cid,
                    secret: str = secret,
                    signer: Any = signer,
                    db: Path = db,
                ) -> tuple[Any, Any]:
                    store = api["SQLiteStore"](db)
                    issuer = (
                        api["StatelessIssuer"](cid, secret)
                        if kind == "stateless"
                        else api["V21Issuer"](signer, secret)
                    )
                    m = api["TokenManager"](
                        issuer, store=store, base_url=base_url, clock=clock, wall_clock=clock
                    )
                    return m, store

                def sdk_issue(
                    kind: str = kind, cid: str = cid, secret: str = secret, kid: str = kid
                ) -> tuple[str, int]:
                    if kind == "stateless":
                        r = sdk.issue_stateless_channel_token_by_client_secret(
                            client_id=cid, client_secret=secret
                        )
                        return r.access_token, r.expires_in
                    now = int(clock())
                    assertion = jwt.encode(
                        {
                            "iss": cid,
                            "sub": cid,
                            "aud": "https://api.line.me/",
                            "exp": now + 1800,
                            "token_exp": 86400,
                        },
                        pair.private_pem,
                        algorithm="RS256",
                        headers={"kid": kid},
                    )
                    r = sdk.issue_channel_token_by_jwt(
                        grant_type="client_credentials",
                        client_assertion_type="urn:ietf:params:oauth:client-assertion-type:"
                        "jwt-bearer",
                        client_assertion=assertion,
                    )
                    return r.access_token, r.expires_in

                before = emulator.counts()
                result = FleetResult()
                procs: list[Any] = []
                for _ in range(n):
                    procs.append(
                        make_manager() if who == "line-token" else _Naive(sdk_issue, clock)
                    )
                for i in range(steps):
                    for p in range(n):
                        if i and (i + p * restart_every // n + 7 * p + 1) % restart_every == 0:
                            if who == "line-token":
                                procs[p][0].close()
                                procs[p][1].close()
                                procs[p] = make_manager()
                            else:
                                procs[p] = _Naive(sdk_issue, clock)
                        if who == "line-token":
                            procs[p][0].token()
                        else:
                            procs[p].get()
                        result.token_calls += 1
                    if kind == "v2.1" and i % 60 == 0:
                        now = clock()
                        live = sum(1 for t in emulator.tokens(cid, "v2.1") if t.active(now))
                        result.peak_live = max(result.peak_live, live)
                    emulator.advance(step)
                if who == "line-token":
                    for m, store in procs:
                        m.close()
                        store.close()
                after = emulator.counts()
                result.counts = {k: after.get(k, 0) - before.get(k, 0) for k in after}
                results[(kind, who)] = result
        sdk_api.close()

    for kind, endpoint in (("stateless", ISSUE_STATELESS), ("v2.1", ISSUE_V21)):
        lt, naive = results[(kind, "line-token")], results[(kind, "SDK")]
        lt_n, sdk_n = lt.counts.get(endpoint, 0), naive.counts.get(endpoint, 0)
        ratio = lt_n / sdk_n if sdk_n else 0.0
        section.rows.append(
            Row(
                section.title,
                f"{kind}: SDK, per-process manager (issues)",
                str(sdk_n),
                ratio="1.00x",
                ratio_to="SDK",
            )
        )
        section.rows.append(
            Row(
                section.title,
                f"{kind}: line-token TokenManager on SQLiteStore (issues)",
                str(lt_n),
                ratio=f"{ratio:.2f}x",
                ratio_to="SDK",
                target="fewer than SDK",
                verdict=MET if lt_n < sdk_n else MISSED,
            )
        )
        others = {k: v for k, v in lt.counts.items() if k != endpoint and v}
        note = (
            f"{kind}: {lt.token_calls:,} token() calls per contender (one per process per "
            f"virtual minute). line-token's other requests: {others or 'none'}."
        )
        if kind == "v2.1":
            note += (
                f" Most live v2.1 tokens at once (LINE's cap is 30): line-token "
                f"{lt.peak_live}, SDK {naive.peak_live}."
            )
        section.notes.append(note)
    section.notes.append(
        f"Simulation on the emulator's virtual clock, over real HTTP (in-process server): "
        f"{n} processes each call for a token once a virtual minute for {days} days; each "
        f"process restarts {n} times, staggered. line-token: one TokenManager per process on "
        "one shared SQLiteStore file. SDK: per process, issue at start and when the token "
        "has expired (v2.1 with token_exp 1 day, like the manager's default)."
    )
    return section


def run(settings: Settings, server: EmulatorProcess) -> list[Section]:
    """Hot path, stampedes and the fleet month (or 'not available' rows)."""
    api = _api()
    titles = (
        "Hot path: token() on a fresh token",
        "Stampede: cold manager",
        "Fleet: issue requests in a virtual month",
    )
    if isinstance(api, str):
        sections = [Section(t) for t in titles]
        for s in sections:
            s.skip(api)
        return sections
    sections = [hot_path(settings, server, api)]
    stampede = Section("Stampede: cold manager")
    stampede_threads(settings, server, api, stampede)
    stampede_tasks(settings, server, api, stampede)
    with tempfile.TemporaryDirectory(prefix="line-token-stampede-") as tmp:
        stampede_processes(settings, server, stampede, "sqlite", tmp)
    try:
        from line_token.stores import RedisStore  # noqa: F401
    except ImportError as exc:
        stampede.skip(f"RedisStore not available ({exc})")
    else:
        with redis_server() as url:
            if url is None:
                stampede.skip("RedisStore: no redis-server binary on PATH")
            else:
                stampede_processes(settings, server, stampede, "redis", url)
    stampede.notes.append(
        "Time from releasing every caller at once until the last holds a token; the floor "
        "rows are the same threads/tasks doing nothing. Stateless tokens by secret; the "
        "emulator counts the issue requests."
    )
    sections.append(stampede)
    sections.append(fleet(settings, api))
    return sections
