"""Start-up work reposix avoids or overlaps: httpx's CLI is not loaded, the TLS context
is built once per process on a thread of its own.

Sources: httpx imports its CLI module when click, rich and pygments are installed
(https://github.com/encode/httpx/discussions/3523, https://github.com/encode/httpx/pull/3547);
requests preloads one default TLS context per process
(https://github.com/psf/requests/pull/6667).
"""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import threading
import time
from importlib.util import find_spec
from typing import Any

import httpx
import pytest

from reposix._http import _transport
from reposix._http._transport import build_async_client, tls_context

CLI_EXTRAS = ("click", "rich", "pygments")
needs_cli_extras = pytest.mark.skipif(
    not all(find_spec(name) for name in CLI_EXTRAS), reason="httpx's CLI extras not installed"
)


def _python(code: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@needs_cli_extras
def test_importing_a_connector_does_not_load_httpx_cli() -> None:
    seen = _python(
        "import json, sys\n"
        "import reposix_github.connector\n"
        f"print(json.dumps({{'loaded': sorted(m for m in {CLI_EXTRAS!r} if m in sys.modules)}}))\n"
    )
    assert seen == {"loaded": []}


@needs_cli_extras
def test_httpx_main_still_runs_the_real_cli() -> None:
    seen = _python(
        "import contextlib, io, json, sys\n"
        "import reposix, httpx\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    code = httpx.main(['--help'], standalone_mode=False)\n"
        "real = sys.modules['httpx._main']\n"
        "print(json.dumps({'code': code, 'usage': 'Usage' in out.getvalue(),\n"
        "                  'file': real.__file__.endswith('_main.py'),\n"
        "                  'other_name': callable(real.print_help)}))\n"
    )
    assert seen == {"code": 0, "usage": True, "file": True, "other_name": True}


def test_the_stand_in_answers_like_a_module_and_loads_the_real_one_on_use() -> None:
    seen = _python(
        "import importlib.util, json, sys\n"
        "import reposix, httpx\n"
        "stand_in = sys.modules['httpx._main']\n"
        "was_stand_in = getattr(stand_in, '_reposix_stand_in', False)\n"
        "spec = importlib.util.find_spec('httpx._main')\n"
        "missing = hasattr(stand_in, 'no_such_name')  # loads the real module, finds nothing\n"
        "helper = stand_in.print_help\n"
        "print(json.dumps({'was_stand_in': was_stand_in, 'helper': callable(helper),\n"
        "                  'spec': spec is not None and spec.name == 'httpx._main',\n"
        "                  'missing_name': missing,\n"
        "                  'replaced': sys.modules['httpx._main'] is not stand_in}))\n"
    )
    assert seen == {
        "was_stand_in": True,
        "helper": True,
        "spec": True,
        "missing_name": False,
        "replaced": True,
    }


def test_httpx_imported_first_is_left_alone() -> None:
    seen = _python(
        "import json, sys\n"
        "import httpx\n"
        "before = sys.modules.get('httpx._main')\n"
        "import reposix_github.connector\n"
        "print(json.dumps({'same': sys.modules.get('httpx._main') is before}))\n"
    )
    assert seen == {"same": True}


def test_every_client_shares_the_preloaded_tls_context() -> None:
    context = tls_context()
    assert context is tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    first = build_async_client(connect_timeout=1, read_timeout=1, transport=None)
    second = build_async_client(connect_timeout=1, read_timeout=1, transport=None)
    for client in (first, second):
        pool = client._transport._pool  # type: ignore[attr-defined]
        assert pool._ssl_context is context


def test_a_failed_preload_raises_in_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**_: object) -> ssl.SSLContext:
        raise ssl.SSLError("no CA bundle")

    monkeypatch.setattr(httpx, "create_ssl_context", broken)
    preload = _transport._Preload()
    with pytest.raises(ssl.SSLError, match="no CA bundle"):
        preload.get()


def test_without_a_thread_to_spare_the_context_loads_when_first_needed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(self: object) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    preload = _transport._Preload()
    assert preload.get().verify_mode == ssl.CERT_REQUIRED


def test_without_the_cli_extras_httpx_keeps_its_own_fallback() -> None:
    seen = _python(
        "import json, sys\n"
        "sys.modules['click'] = None  # as if click were not installed\n"
        "import reposix, httpx\n"
        "print(json.dumps({'stand_in': getattr(sys.modules.get('httpx._main'),\n"
        "                                      '_reposix_stand_in', False),\n"
        "                  'fallback': httpx.main.__module__ == 'httpx'}))\n"
    )
    assert seen == {"stand_in": False, "fallback": True}


def test_a_context_class_swapped_after_the_preload_is_honoured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """truststore.inject_into_ssl() replaces ssl.SSLContext; a context preloaded before
    that must not be handed out (https://truststore.readthedocs.io/en/latest/)."""
    preload = _transport._Preload()
    preloaded = preload.get()
    assert preload.get() is preloaded  # nothing swapped: the preloaded one

    class Swapped:  # stands in for truststore.SSLContext
        pass

    rebuilt = ssl.create_default_context()
    monkeypatch.setattr(ssl, "SSLContext", Swapped)
    monkeypatch.setattr(httpx, "create_ssl_context", lambda **_: rebuilt)
    assert preload.get() is rebuilt  # built again, as httpx would, with the new class


def test_clients_built_on_several_threads_at_once_share_the_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = httpx.create_ssl_context

    def slow(**kwargs: Any) -> ssl.SSLContext:
        time.sleep(0.05)  # the preload is still running when the threads ask
        return real(**kwargs)

    monkeypatch.setattr(httpx, "create_ssl_context", slow)
    preload = _transport._Preload()
    got: list[ssl.SSLContext] = []
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            got.append(preload.get())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(got) == 4
    assert all(context is got[0] for context in got)


def test_a_failed_rebuild_after_a_swap_is_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    preload = _transport._Preload()
    preload.get()
    rebuilt = ssl.create_default_context()

    class Swapped:  # stands in for truststore.SSLContext
        pass

    def unreadable_bundle(**_: object) -> ssl.SSLContext:
        raise OSError("no CA bundle")

    monkeypatch.setattr(ssl, "SSLContext", Swapped)
    monkeypatch.setattr(httpx, "create_ssl_context", unreadable_bundle)
    with pytest.raises(OSError, match="no CA bundle"):
        preload.get()
    monkeypatch.setattr(httpx, "create_ssl_context", lambda **_: rebuilt)
    assert preload.get() is rebuilt  # tried again, never the pre-swap context


def test_a_stuck_preload_is_given_up_once(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    real = httpx.create_ssl_context
    calls: list[str] = []

    def stuck(**kwargs: Any) -> ssl.SSLContext:
        if threading.current_thread().name == "reposix-tls-context":
            release.wait(5)
        calls.append(threading.current_thread().name)
        return real(**kwargs)

    monkeypatch.setattr(httpx, "create_ssl_context", stuck)
    monkeypatch.setattr(_transport._Preload, "_WAIT_SECONDS", 0.05)
    preload = _transport._Preload()
    first = preload.get()  # waits 50 ms, then builds it itself
    assert preload.get() is first  # no second wait, no second build
    release.set()
    assert calls.count("MainThread") == 1


def test_a_broken_cli_extra_leaves_httpx_alone() -> None:
    seen = _python(
        "import json, sys, types\n"
        "sys.modules['rich'] = types.ModuleType('rich')  # no __spec__: find_spec raises\n"
        "import reposix, httpx\n"
        "print(json.dumps({'stand_in': getattr(sys.modules.get('httpx._main'),\n"
        "                                      '_reposix_stand_in', False)}))\n"
    )
    assert seen == {"stand_in": False}
