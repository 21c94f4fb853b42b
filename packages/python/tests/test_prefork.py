"""Pre-fork servers: the verifier is created in a parent that then forks (gunicorn --preload, uWSGI without
lazy-apps, multiprocessing). Creating it must start no thread and no I/O, so no child inherits a fetch (or
an import lock) half-done; every child loads its own keys on first use. Proven with real gunicorn (Flask and
Django apps, two workers, each answering 200 with the verified identity and its pid), with a fork within
50 ms of construction, and with multiprocessing's fork context."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import re
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import HEADER, JwksResponse, base_env, claims, loopback_jwks_server, make_key

from trusted_proxy_auth import TrustedProxyAuth, TrustedProxyAuthError, load_config
from trusted_proxy_auth._key_sources.jwks_keys import JwksKeys

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only"),
    # Python 3.12+ warns about fork() in a process with threads (the loopback server's): the situation tested.
    pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning"),
]

KEY = make_key("ES256", "prefork")


def live_token() -> str:
    """Valid now by the real clock: the servers and children here verify without an injected time."""
    now = int(time.time())
    return KEY.sign(claims(iat=now, exp=now + 600))


FLASK_APP = """
import os
from flask import Flask, g
from trusted_proxy_auth.flask import TrustedProxyAuth, login_required

app = Flask(__name__)
TrustedProxyAuth(app)

@app.get("/me")
@login_required
def me():
    return {"subject": g.user.subject, "pid": os.getpid()}
"""

DJANGO_APP = """
import os
from django.conf import settings

settings.configure(
    SECRET_KEY="test-only-not-secret",
    ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=["*"],
    # The default ModelBackend answers None for a verified identity without touching a database.
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
    MIDDLEWARE=["trusted_proxy_auth.django.TrustedProxyAuthMiddleware"],
)

from django.core.wsgi import get_wsgi_application
from django.http import JsonResponse
from django.urls import path

def me(request):
    return JsonResponse({"subject": request.trusted_identity.subject, "pid": os.getpid()})

urlpatterns = [path("me", me)]
# Loads the middleware, so the verifier is created in gunicorn's parent before it forks (--preload).
app = get_wsgi_application()
"""


def _drain(stream: Any) -> None:
    with contextlib.suppress(OSError, ValueError):
        for _line in stream:
            pass


@contextmanager
def gunicorn(app_dir: Path, module: str, env: dict[str, str]) -> Iterator[str]:
    """Real gunicorn with --preload and two workers on a free loopback port; yields the base URL."""
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "--preload", "-w", "2", "-b", "127.0.0.1:0"),
            *("--chdir", str(app_dir), "--graceful-timeout", "2", "--timeout", "30", f"{module}:app"),
        ],
        env={**os.environ, **env, "PYTHONPATH": str(app_dir)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        url = None
        log: list[str] = []
        deadline = time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            ready, _, _ = select.select([process.stderr], [], [], 1)
            if ready:
                line = process.stderr.readline()
                if not line:
                    break
                log.append(line)
                match = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", line)
                url = match.group(1) if match else None
        assert url is not None, "gunicorn did not start:\n" + "".join(log)
        # Keep draining its log so gunicorn never blocks on a full pipe.
        threading.Thread(target=_drain, args=(process.stderr,), daemon=True).start()
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


@pytest.mark.parametrize(("framework", "source"), [("flask", FLASK_APP), ("django", DJANGO_APP)])
def test_gunicorn_preload_with_two_workers_verifies_in_both(tmp_path: Path, framework: str, source: str) -> None:
    module = f"prefork_{framework}_app"
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    with loopback_jwks_server() as (base, routes):
        routes["/jwks.json"] = JwksResponse.of(KEY.public_jwk)
        env = base_env(f"{base}/jwks.json", TRUSTED_PROXY_JWKS_TIMEOUT="5")
        token = live_token()
        with gunicorn(tmp_path, module, env) as url:
            answers: dict[int, dict[str, Any]] = {}
            started = time.monotonic()
            # Sync workers take turns on one listening socket; new connections reach both soon.
            while len(answers) < 2 and time.monotonic() - started < 45:
                response = httpx.get(f"{url}/me", headers={HEADER: token}, timeout=15)
                assert response.status_code == 200, (framework, response.status_code, response.text)
                body = response.json()
                answers[body["pid"]] = body
        assert len(answers) == 2, f"only worker(s) {sorted(answers)} answered"
        assert all(body["subject"] == "user-1" for body in answers.values())
        print(f"gunicorn --preload -w 2 ({framework}): 200 with a verified identity from pids {sorted(answers)}")


def test_creating_the_verifier_starts_no_thread_and_no_fetch(monkeypatch: pytest.MonkeyPatch) -> None:
    # Threads started by this test's own thread are counted, not the process's thread total: verifiers left by
    # earlier tests start timer threads of their own (a retry after a failed refresh) at any moment.
    me = threading.current_thread()
    started: list[threading.Thread] = []
    start = threading.Thread.start

    def recording_start(thread: threading.Thread) -> None:
        if threading.current_thread() is me:
            started.append(thread)
        start(thread)

    with loopback_jwks_server() as (base, routes):
        routes["/jwks.json"] = JwksResponse.of(KEY.public_jwk)
        monkeypatch.setattr(threading.Thread, "start", recording_start)
        auth = TrustedProxyAuth(load_config(base_env(f"{base}/jwks.json")))
        time.sleep(0.05)
        monkeypatch.undo()
        assert started == []
        assert auth.status().fetch_count == 0


def _verify_in_child(auth: TrustedProxyAuth, token: str) -> tuple[int, str]:
    """Forks; the child verifies and reports through a pipe. (pid, outcome), or (pid, "hung") after 20 s."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report and leave without running pytest's teardown
        os.close(read)
        try:
            outcome = auth.verify_assertion(token).subject
        except TrustedProxyAuthError as error:
            outcome = error.code
        except BaseException:  # anything at all is reported, never raised into pytest's copy
            outcome = "crashed"
        os.write(write, outcome.encode())
        os._exit(0)
    os.close(write)
    ready, _, _ = select.select([read], [], [], 20)
    outcome = os.read(read, 100).decode() if ready else "hung"
    os.close(read)
    if outcome == "hung":
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return pid, outcome


FORK_SOON_AFTER_CONSTRUCTION = """
import json, os, signal, sys, time
from trusted_proxy_auth import TrustedProxyAuth, TrustedProxyAuthError, load_config

env, token, delay = json.loads(sys.argv[1]), sys.argv[2], float(sys.argv[3])
auth = TrustedProxyAuth(load_config(env))
time.sleep(delay)
pid = os.fork()
if pid == 0:
    signal.alarm(20)  # a child stuck on a lock dies instead of hanging the test
    try:
        outcome = auth.verify_assertion(token).subject
    except TrustedProxyAuthError as error:
        outcome = error.code
    print("child", outcome, flush=True)
    os._exit(0)
os.waitpid(pid, 0)
print("parent", auth.verify_assertion(token).subject, flush=True)
"""


@pytest.mark.parametrize("delay", [0.0, 0.01, 0.05])
def test_a_fork_within_50_ms_of_construction_verifies_in_parent_and_child(delay: float) -> None:
    # A fresh interpreter, where nothing of httpx's stack is imported yet: what a pre-fork parent looks like.
    with loopback_jwks_server() as (base, routes):
        routes["/jwks.json"] = JwksResponse.of(KEY.public_jwk)
        env = base_env(f"{base}/jwks.json")
        result = subprocess.run(
            [sys.executable, "-c", FORK_SOON_AFTER_CONSTRUCTION, json.dumps(env), live_token(), str(delay)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    lines = result.stdout.split()
    assert "child" in lines, f"the child never answered (stuck after the fork): {result.stderr[-2000:]}"
    assert result.stdout.splitlines() == ["child user-1", "parent user-1"], result.stdout + result.stderr[-2000:]


def test_a_fork_during_a_fetch_waits_for_it_and_the_child_fetches_its_own() -> None:
    with loopback_jwks_server() as (base, routes):
        routes["/jwks.json"] = JwksResponse.of(KEY.public_jwk)
        token = live_token()
        auth = TrustedProxyAuth(load_config(base_env(f"{base}/jwks.json")))
        auth.start()  # a background fetch on a timer thread, racing the fork below
        _, outcome = _verify_in_child(auth, token)
        assert outcome == "user-1"


def test_a_fork_without_the_at_fork_hooks_is_noticed_by_pid() -> None:
    # uWSGI forks from C without running Python's at-fork hooks: the pid check on first use must do their work.
    with loopback_jwks_server() as (base, routes):
        routes["/jwks.json"] = JwksResponse.of(KEY.public_jwk)
        auth = TrustedProxyAuth(load_config(base_env(f"{base}/jwks.json")))
        assert isinstance(auth._keys, JwksKeys)
        store = auth._keys.store
        store._fetch_lock.acquire()  # as if held by a parent's thread that this process does not have
        store._pid = -1  # as if created in another process
        assert auth.verify_assertion(live_token()).subject == "user-1"
        assert not store._fetch_lock.locked()


def _child_verifies(auth: TrustedProxyAuth, token: str, results: Any) -> None:
    results.put(auth.verify_assertion(token).subject)


def test_multiprocessing_fork_children_verify() -> None:
    context = multiprocessing.get_context("fork")
    with loopback_jwks_server() as (base, routes):
        routes["/jwks.json"] = JwksResponse.of(KEY.public_jwk)
        token = live_token()
        auth = TrustedProxyAuth(load_config(base_env(f"{base}/jwks.json")))
        results = context.Queue()
        children = [context.Process(target=_child_verifies, args=(auth, token, results)) for _ in range(2)]
        for child in children:
            child.start()
        try:
            outcomes = [results.get(timeout=20) for _ in children]
        finally:
            for child in children:
                child.join(timeout=10)
                if child.is_alive():
                    child.kill()
        assert outcomes == ["user-1", "user-1"]


def test_ready_in_the_parent_then_fork_keeps_the_keys_and_no_thread_is_half_done() -> None:
    with loopback_jwks_server() as (base, routes):
        routes["/jwks.json"] = JwksResponse.of(KEY.public_jwk)
        token = live_token()
        auth = TrustedProxyAuth(load_config(base_env(f"{base}/jwks.json")))
        auth.ready()
        fetched = json.loads(json.dumps(auth.status().to_dict()))["fetchCount"]
        _, outcome = _verify_in_child(auth, token)
        assert outcome == "user-1"
        assert fetched == 1
