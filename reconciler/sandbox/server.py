"""HTTP plumbing: a stdlib ThreadingHTTPServer around the pure dispatch in routes.py."""

from __future__ import annotations

import copy
import json
import pathlib
import signal
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any

from .errors import generic_500, proxy_error
from .faults import FaultSchedule
from .replicas import KEY_CACHE_TTL, MODEL_RELOAD, Fleet
from .routes import Incoming, dispatch
from .state import State, load_state, save_state, seeded_state

DEFAULT_MASTER_KEY = "sk-sandbox-master-key"
_BIND_HOST = "127.0.0.1"


class _Server(ThreadingHTTPServer):
    # The stdlib's listen backlog of 5 drops connections when a client opens 8+ at once (the
    # client then waits a 1 s SYN retransmit); a real proxy's uvicorn listens with 2048.
    request_queue_size = 128


class SandboxGateway:
    """In-memory LiteLLM-compatible admin API, served on 127.0.0.1 from a daemon thread."""

    def __init__(self, *, host: str = _BIND_HOST, port: int = 0,
                 master_key: str = DEFAULT_MASTER_KEY, state_file: pathlib.Path | None = None,
                 seed: bool = True, latency: float = 0.0, replicas: int = 1,
                 redis: bool = False, key_cache_ttl: float = KEY_CACHE_TTL,
                 model_reload: float = MODEL_RELOAD, load_balancer: bool = False) -> None:
        if host not in (_BIND_HOST, "localhost"):
            raise ValueError("the sandbox gateway only binds to 127.0.0.1")
        self._port = port
        self._master_key = master_key
        self._state_file = pathlib.Path(state_file) if state_file else None
        self._seed = seed
        # Seconds added to every answer, outside the state lock: plays a gateway far away.
        self.latency = latency
        self.state = State()
        self.requests: list[tuple[str, str]] = []
        self._faults = FaultSchedule()
        # With replicas > 1: one server per replica on one state, each with the real proxy's
        # caches (replicas.py); base_url is the first, or a round-robin balancer in front.
        self.fleet = Fleet(replicas, redis=redis, key_ttl=key_cache_ttl,
                           model_reload=model_reload) if replicas > 1 else None
        self._replicas = max(1, replicas)
        self._load_balancer = load_balancer
        self.replica_urls: list[str] = []
        self.lb_url = ""
        self._servers: list[tuple[ThreadingHTTPServer, threading.Thread]] = []
        self.base_url = ""

    # -- lifecycle ---------------------------------------------------------------------------
    def _initial_state(self) -> State:
        if self._state_file is not None and self._state_file.exists():
            return load_state(self._state_file)
        return seeded_state() if self._seed else State()

    def start(self) -> SandboxGateway:
        self.state = self._initial_state()
        for cache in self.fleet.caches if self.fleet is not None else ():
            cache.model_state(self.state)  # each replica loads its router as it starts
        ports = [self._port] + [0] * (self._replicas - 1)
        self.replica_urls = [self._listen(port, _handler_for(self, index))
                             for index, port in enumerate(ports)]
        self.base_url = self.replica_urls[0]
        if self._load_balancer:
            self.lb_url = self.base_url = self._listen(0, _handler_for(self, None))
        return self

    def _listen(self, port: int, handler: type[BaseHTTPRequestHandler]) -> str:
        server = _Server((_BIND_HOST, port), handler)
        server.daemon_threads = True
        bound = server.server_address[1]
        # Short poll interval so stop() returns quickly (tests start many gateways).
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True,
                                  name=f"sandbox-gateway-{bound}")
        thread.start()
        self._servers.append((server, thread))
        return f"http://{_BIND_HOST}:{bound}"

    def stop(self) -> None:
        for server, thread in self._servers:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
        self._servers = []

    def __enter__(self) -> SandboxGateway:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- test hooks --------------------------------------------------------------------------
    def inject_fault(self, *, method: str, path: str, status: int = 500, times: int = 1,
                     skip: int = 0, delay: float = 0.0) -> None:
        """The next `times` matching requests (after `skip` pass) fail without touching state."""
        self._faults.add(method=method, path=path, status=status, times=times, skip=skip,
                         delay=delay)

    def snapshot_key(self, token_hash: str) -> dict[str, Any] | None:
        with self.state.lock:
            row = self.state.keys.get(token_hash)
            return copy.deepcopy(row) if row is not None else None

    # -- request handling (called from server threads) ---------------------------------------
    def handle(self, req: Incoming, replica: int = 0) -> tuple[int, Any]:
        self.requests.append((req.method, req.path))
        if self.latency:
            time.sleep(self.latency)
        fault = self._faults.take(req.method, req.path)
        if fault is not None:
            if fault.delay > 0:
                time.sleep(fault.delay)
            err = proxy_error(fault.status, "Injected fault", "internal_server_error", None)
            return err.status, err.body
        cache = self.fleet.caches[replica] if self.fleet is not None else None
        with self.state.lock:
            try:
                (status, payload), changed = dispatch(self.state, self._master_key, req, cache)
            except Exception:
                err = generic_500()
                return err.status, err.body
            if changed and self._state_file is not None:
                save_state(self.state, self._state_file)
        if changed and self.fleet is not None:
            self.fleet.after_write(replica, req.path, _json_or_none(req.body))
        return status, payload


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _handler_for(gateway: SandboxGateway, replica: int | None) -> type[BaseHTTPRequestHandler]:
    """Replica `replica`'s handler; None: the balancer's, which hands each new connection to
    the next replica (a keep-alive connection stays on one, as behind a Kubernetes Service)."""
    turn = iter(range(1 << 62))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; without this, delayed ACK adds ~40 ms.
        disable_nagle_algorithm = True
        server_version = "litellm-sandbox"

        def _serve(self) -> None:
            split = urllib.parse.urlsplit(self.path)
            pairs = urllib.parse.parse_qsl(split.query, keep_blank_values=True)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            req = Incoming(self.command, split.path, dict(pairs), dict(self.headers.items()), body)
            status, payload = gateway.handle(req, self.replica)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        def setup(self) -> None:
            super().setup()
            self.replica = replica if replica is not None else next(turn) % gateway._replicas

        def log_message(self, format: str, *args: Any) -> None:
            # Quiet by default: request lines would include ?key=<raw key> query strings.
            return

    return Handler


def serve(*, host: str = _BIND_HOST, port: int = 4001, master_key: str = DEFAULT_MASTER_KEY,
          state_file: pathlib.Path | None = None, seed: bool = True,
          latency: float = 0.0) -> None:
    """Blocking server for demos; SIGINT/SIGTERM stop it cleanly."""
    gateway = SandboxGateway(host=host, port=port, master_key=master_key,
                             state_file=state_file, seed=seed, latency=latency).start()
    stopping = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    print(f"sandbox gateway listening on {gateway.base_url}", flush=True)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        gateway.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
