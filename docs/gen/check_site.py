"""Check the built site in a headless browser: no console error, no broken link (``nox -s docs``).

    python docs/gen/check_site.py [site]          # after mkdocs build; exit 1 on any problem

Serves ``site/`` over http on 127.0.0.1 (a free port), starts headless Chromium
(``chromium`` from the system packages, or ``$CHROMIUM``) and drives it through the
DevTools protocol (a websocket; the ``websockets`` package). Every page (``*.html``
outside ``assets/``) is loaded; once loaded and once MathJax has typeset it, the page
fails on

* a console message of level error or warning, an uncaught exception, a browser log
  entry of level error (a failed font or script load is one);
* a request that fails or answers with a status >= 400 (a missing asset);
* a link to this site (``<a href>``) whose page does not exist, or whose ``#fragment``
  names no element of that page;
* a formula (``.arithmatex``) that MathJax has not typeset.

Links to other sites are not followed (CI has no network); the site itself makes no
request off 127.0.0.1 (MathJax is bundled), and one that it makes fails the check.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

ROOT = Path(__file__).resolve().parent.parent.parent
#: Seconds a page may take to load and typeset.
PAGE_TIMEOUT = 60.0


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


@contextlib.contextmanager
def serve(site: Path):
    """An http server for ``site`` on 127.0.0.1; yields its base URL."""
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _chromium() -> str:
    exe = os.environ.get("CHROMIUM") or next(
        (p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None
    )
    if exe is None:
        msg = "no Chromium found: install it (apt-get install chromium) or set $CHROMIUM"
        raise SystemExit(msg)
    return exe


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def browser():
    """Headless Chromium with remote debugging; yields the DevTools websocket URL of a page."""
    port = _free_port()
    profile = tempfile.mkdtemp(prefix="polyloss-chromium-")
    args = [
        _chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
        "--disable-extensions", "--disable-background-networking", "--disable-component-update",
        "--disable-dev-shm-usage", f"--user-data-dir={profile}", f"--remote-debugging-port={port}", "about:blank",
    ]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as r:
                    pages = [t for t in json.load(r) if t.get("type") == "page"]
                if pages:
                    yield pages[0]["webSocketDebuggerUrl"]
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                msg = f"Chromium did not start (exit status {proc.poll()})"
                raise SystemExit(msg)
            time.sleep(0.2)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


class DevTools:
    """A minimal DevTools-protocol client: commands, and the events seen while waiting."""

    def __init__(self, ws: object) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.events: list[dict] = []

    def call(self, method: str, timeout: float = PAGE_TIMEOUT, **params: object) -> dict:
        i = next(self.ids)
        self.ws.send(json.dumps({"id": i, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if msg.get("id") == i:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_for(self, method: str, timeout: float = PAGE_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not any(e["method"] == method for e in self.events):
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if "method" in msg:
                self.events.append(msg)


#: Runs in the page once it has loaded: waits for MathJax to typeset, then lists the links.
_SETTLE = """
(async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  if (document.fonts && document.fonts.ready) { await document.fonts.ready; }
  await new Promise(r => setTimeout(r, 300));
  return {
    links: Array.from(document.querySelectorAll("a[href]"), a => a.href),
    formulas: document.querySelectorAll(".arithmatex").length,
    typeset: document.querySelectorAll(".arithmatex mjx-container").length,
  };
})()
"""


def _problems_of(events: list[dict]) -> list[str]:
    out, requests = [], {}
    for e in events:
        m, p = e["method"], e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            out.append(f"console.{p['type']}: {text}")
        elif m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            out.append(f"uncaught exception: {d.get('exception', {}).get('description') or d.get('text')}")
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
            entry = p["entry"]
            out.append(f"browser log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".rstrip())
        elif m == "Network.requestWillBeSent":
            requests[p["requestId"]] = p["request"]["url"]
        elif m == "Network.responseReceived" and p["response"]["status"] >= 400:
            out.append(f"HTTP {p['response']['status']}: {p['response']['url']}")
        elif m == "Network.loadingFailed" and not p.get("canceled"):
            out.append(f"request failed ({p.get('errorText')}): {requests.get(p['requestId'], '?')}")
    return out


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for k, v in attrs:
            if k in ("id", "name") and v:
                self.ids.add(v)


def _target_file(site: Path, base: str, url: str) -> Path | None:
    path = urlparse(url).path[len(urlparse(base).path):]
    f = site / path
    if f.is_dir() or path.endswith("/") or not path:
        f = f / "index.html"
    return f if f.is_file() else None


def check(site: Path) -> list[str]:
    pages = sorted(p for p in site.rglob("*.html") if "assets" not in p.relative_to(site).parts)
    if not pages:
        return [f"no page under {site}: build the site first (mkdocs build)"]
    problems: list[str] = []
    ids_cache: dict[Path, set[str]] = {}
    from websockets.sync.client import connect

    with serve(site) as base, browser() as ws_url, connect(ws_url, max_size=None, open_timeout=30) as ws:
        dt = DevTools(ws)
        for domain in ("Page", "Runtime", "Log", "Network"):
            dt.call(f"{domain}.enable")
        for page in pages:
            rel = page.relative_to(site).as_posix()
            url = urljoin(base, rel)
            dt.events.clear()
            dt.call("Page.navigate", url=url)
            dt.wait_for("Page.loadEventFired")
            seen = dt.call("Runtime.evaluate", expression=_SETTLE, awaitPromise=True,
                           returnByValue=True)["result"].get("value", {})
            links = seen.get("links", [])
            dt.call("Runtime.evaluate", expression="0")  # collect the events that are pending
            found = _problems_of(dt.events)
            if seen.get("formulas", 0) != seen.get("typeset", 0):
                found.append(f"{seen.get('formulas')} formulas, {seen.get('typeset')} typeset by MathJax")
            for off in sorted({u for u in _requests(dt.events) if not u.startswith((base, "data:", "blob:"))}):
                found.append(f"request off the site: {off}")
            for link in sorted(set(links)):
                target, fragment = urldefrag(link)
                if not target.startswith(base):
                    continue  # another site: not followed
                f = _target_file(site, base, target)
                if f is None:
                    found.append(f"broken link: {link}")
                elif fragment and f.suffix == ".html":
                    if f not in ids_cache:
                        parser = _Ids()
                        parser.feed(f.read_text(encoding="utf-8"))
                        ids_cache[f] = parser.ids
                    if fragment not in ids_cache[f]:
                        found.append(f"broken anchor: {link}")
            problems += [f"{rel}: {p}" for p in found]
            print(f"{rel}: {'ok' if not found else f'{len(found)} problem(s)'} ({len(links)} links)")
    return problems


def _requests(events: list[dict]) -> list[str]:
    return [e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("site", nargs="?", type=Path, default=ROOT / "site", help="the built site (default site/)")
    args = ap.parse_args(argv)
    problems = check(args.site.resolve())
    if problems:
        print(f"\n{len(problems)} problem(s):\n  " + "\n  ".join(problems))
        return 1
    print("every page: no console error, no failed request, no broken link")
    return 0


if __name__ == "__main__":
    sys.exit(main())
