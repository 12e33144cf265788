#!/usr/bin/env python3
"""Headless Chromium driven over the Chrome DevTools Protocol (CDP), standard library only.

Chromium (Debian's `chromium`) is started with --remote-debugging-port=0 and a temporary
profile; the port it picked is read from the profile's DevToolsActivePort file and one
WebSocket connection to the browser carries every tab (Target.attachToTarget with flatten: each
tab's messages carry its sessionId). The WebSocket client is the minimum CDP needs (RFC 6455:
the upgrade handshake, masked text frames out, text frames in, fragments, ping, close).

Library: `with Chromium() as browser: tab = browser.open_tab(url, auth="user:password")`, then
`tab.evaluate(expr)`, `tab.wait_for(expr, seconds)`, `tab.screenshot(path)`, `tab.errors`
(console errors, uncaught exceptions, failed loads). Chromium is killed and its profile removed
on exit, whatever happens.

CLI: `browser.py check ...` checks promsnmp's site page (the DOM contract of issue 17: see
check_site); `browser.py --help`. Exit status 0 when every check passes, 1 when one fails (a
line "FAIL: ..." says which), 2 on a usage error.
"""

import argparse
import base64
import ctypes
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--remote-debugging-port=0",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-extensions",
    "--mute-audio",
    # Every tab is a window of its own and stays visible (a hidden tab's timers are throttled
    # and it draws no frame, so a screenshot of it would wait forever).
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
]


class BrowserError(Exception):
    """A failure of the browser or of the protocol (not a failed check)."""


class ProtocolError(BrowserError):
    """The browser answered a call with an error (a page between two documents has no context
    to evaluate in, for one)."""


class ScriptError(BrowserError):
    """An expression evaluated in a page threw."""


# --- WebSocket (RFC 6455), client side --------------------------------------------------------


class WebSocket:
    """A blocking WebSocket client for text messages. Not thread-safe. A receive that times out
    loses nothing: what arrived stays buffered for the next one."""

    GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3

    def __init__(self, url, timeout):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "ws":
            raise BrowserError(f"only ws:// URLs are supported: {url}")
        self.sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise BrowserError("the DevTools endpoint closed the connection (handshake)")
            head += chunk
        head, rest = head.split(b"\r\n\r\n", 1)
        self.buffer = bytearray(rest)  # received, not yet parsed
        self.fragments = bytearray()  # a message's frames before its last
        lines = head.decode(errors="replace").split("\r\n")
        if lines[0].split(" ")[1:2] != ["101"]:
            raise BrowserError(f"WebSocket handshake refused: {lines[0]}")
        accept = base64.b64encode(hashlib.sha1((key + self.GUID).encode()).digest()).decode()
        if not any(line.lower() == f"sec-websocket-accept: {accept.lower()}" for line in lines):
            raise BrowserError("WebSocket handshake: no valid Sec-WebSocket-Accept")

    @staticmethod
    def _masked(payload, mask):
        return bytes(b ^ mask[i % 4] for i, b in enumerate(payload))

    def _send_frame(self, opcode, payload):
        header = bytearray([0x80 | opcode])  # FIN: one frame a message
        n = len(payload)
        if n < 126:
            header.append(0x80 | n)
        elif n < 1 << 16:
            header.append(0x80 | 126)
            header += struct.pack("!H", n)
        else:
            header.append(0x80 | 127)
            header += struct.pack("!Q", n)
        mask = os.urandom(4)  # a client masks every frame
        self.sock.sendall(bytes(header) + mask + self._masked(payload, mask))

    def send(self, text):
        self._send_frame(0x1, text.encode())

    def _parse(self):
        """The first complete frame in the buffer, removed from it: (fin, opcode, payload); None
        while it is incomplete."""
        b = self.buffer
        if len(b) < 2:
            return None
        b0, n, pos = b[0], b[1] & 0x7F, 2
        if n == 126:
            if len(b) < 4:
                return None
            (n,), pos = struct.unpack("!H", b[2:4]), 4
        elif n == 127:
            if len(b) < 10:
                return None
            (n,), pos = struct.unpack("!Q", b[2:10]), 10
        mask = None
        if b[1] & 0x80:
            mask, pos = b[pos:pos + 4], pos + 4
        if len(b) < pos + n:
            return None
        payload = bytes(b[pos:pos + n])
        del b[:pos + n]
        if mask:
            payload = self._masked(payload, mask)
        return bool(b0 & 0x80), b0 & 0x0F, payload

    def receive(self, timeout):
        """Returns the next text message; raises socket.timeout when none came within timeout."""
        self.sock.settimeout(timeout)
        while True:
            frame = self._parse()
            if frame is None:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    raise BrowserError("the DevTools connection closed")
                self.buffer += chunk
                continue
            fin, opcode, payload = frame
            if opcode == 0x9:  # ping
                self._send_frame(0xA, payload)
            elif opcode == 0x8:
                raise BrowserError("the DevTools connection was closed by the browser")
            elif opcode in (0x0, 0x1):  # continuation, text (pongs and binary: ignored)
                self.fragments += payload
                if fin:
                    message = self.fragments.decode()
                    self.fragments = bytearray()
                    return message

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# --- Chromium and its tabs --------------------------------------------------------------------


def _die_with_parent():
    """In the child before exec: SIGKILL when this script dies, even by SIGKILL (Linux
    prctl PR_SET_PDEATHSIG); its helper processes exit with the browser."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


class Chromium:
    """A headless Chromium with a temporary profile; a context manager that always kills it."""

    def __init__(self, binary="chromium", extra_flags=(), start_timeout=20.0, call_timeout=15.0):
        self.profile = tempfile.mkdtemp(prefix="promsnmp-chromium.")
        self.call_timeout = call_timeout
        self.next_id = 0
        self.tabs = {}  # sessionId -> Tab
        self.ws = None
        self.log = open(os.path.join(self.profile, "chromium.log"), "wb")
        # Its temporary files (a directory per run for its singleton socket) in the profile too.
        os.mkdir(os.path.join(self.profile, "tmp"))
        try:
            self.process = subprocess.Popen(
                [binary, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", *extra_flags,
                 "about:blank"],
                stdin=subprocess.DEVNULL,
                env={**os.environ, "TMPDIR": os.path.join(self.profile, "tmp")},
                stdout=self.log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its helpers in one process group, killed together
                preexec_fn=_die_with_parent,
            )
        except OSError as e:
            self.close()
            raise BrowserError(f"cannot start {binary}: {e} (Debian: apt-get install chromium)")
        try:
            self._connect(start_timeout)
        except BaseException:
            self.close()
            raise

    def _connect(self, start_timeout):
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                with open(port_file) as f:
                    lines = f.read().split("\n")
                if len(lines) >= 2 and lines[0].isdigit() and lines[1].startswith("/"):
                    break
            except FileNotFoundError:
                pass
            if self.process.poll() is not None:
                raise BrowserError(f"chromium exited ({self.process.returncode}): {self.output()}")
            if time.monotonic() > deadline:
                raise BrowserError(
                    f"no DevToolsActivePort after {start_timeout:.0f} s: {self.output()}")
            time.sleep(0.05)
        self.ws = WebSocket(f"ws://127.0.0.1:{lines[0]}{lines[1]}", timeout=self.call_timeout)

    def output(self):
        """The last lines chromium printed."""
        try:
            with open(os.path.join(self.profile, "chromium.log"), "rb") as f:
                return f.read()[-2000:].decode(errors="replace").strip()
        except OSError:
            return ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Kills chromium (its whole process group) and removes its profile; bounded, idempotent."""
        if self.ws:
            self.ws.close()
            self.ws = None
        process = getattr(self, "process", None)
        if process and process.poll() is None:
            for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 5)):
                try:
                    os.killpg(process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if process:
            # Helpers that outlived the browser process (same group).
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    # The protocol: one call at a time; events read while waiting go to their tab.
    def call(self, method, params=None, session=None, timeout=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + (timeout or self.call_timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(
                    f"{method}: no answer within {timeout or self.call_timeout:.0f} s")
            try:
                answer = json.loads(self.ws.receive(left))
            except socket.timeout:
                continue
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise ProtocolError(f"{method}: {answer['error'].get('message')}")
                return answer.get("result", {})
            self._event(answer)

    def pump(self, seconds):
        """Reads events for up to seconds."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self._event(json.loads(self.ws.receive(left)))
            except socket.timeout:
                return

    def _event(self, message):
        tab = self.tabs.get(message.get("sessionId"))
        if tab and "method" in message:
            tab.on_event(message["method"], message.get("params", {}))

    def open_tab(self, url, auth=None, javascript=True, width=1280, height=900, timeout=15.0):
        """A new tab showing url, loaded (the load event fired). auth: "user:password" sent as
        basic auth on every request of the tab. javascript=False: the page's scripts do not run
        (DevTools' evaluate still does). Raises BrowserError when the page does not load."""
        target = self.call(
            "Target.createTarget", {"url": "about:blank", "newWindow": True, "background": False}
        )["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        tab = Tab(self, target, session)
        self.tabs[session] = tab
        for domain in ("Page", "Runtime", "Log", "Network"):
            tab.call(f"{domain}.enable")
        if auth:
            token = base64.b64encode(auth.encode()).decode()
            tab.call("Network.setExtraHTTPHeaders",
                     {"headers": {"Authorization": f"Basic {token}"}})
        if not javascript:
            tab.call("Emulation.setScriptExecutionDisabled", {"value": True})
        tab.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        tab.navigate(url, timeout)
        return tab


def shown(url):
    """url with its password, if any, as *** (for messages)."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=f"{parts.username}:***@{parts.netloc.rsplit('@', 1)[1]}").geturl()


class Tab:
    """One page, attached through the browser's connection."""

    def __init__(self, browser, target, session):
        self.browser = browser
        self.target = target
        self.session = session
        self.errors = []  # console errors, uncaught exceptions, failed loads: one line each
        self.document_status = None  # HTTP status of the last top-level document
        self.loads = 0  # load events seen

    def call(self, method, params=None, timeout=None):
        return self.browser.call(method, params, self.session, timeout)

    def on_event(self, method, params):
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            text = " ".join(
                str(a.get("value", a.get("description", a.get("type"))))
                for a in params.get("args", [])
            )
            self.errors.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text", "")
            where = f"{details.get('url', '')}:{details.get('lineNumber', '')}"
            self.errors.append(f"uncaught exception: {text} ({where})")
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            # The browser's own favicon request (made in some windows only) is not the page's.
            if entry.get("level") == "error" and not entry.get("url", "").endswith("/favicon.ico"):
                self.errors.append(
                    f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".rstrip())
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            self.errors.append(f"load failed: {params.get('errorText')} ({params.get('type')})")
        elif method == "Network.responseReceived" and params.get("type") == "Document":
            self.document_status = params.get("response", {}).get("status")
        elif method == "Page.loadEventFired":
            self.loads += 1

    def navigate(self, url, timeout=15.0):
        loads = self.loads
        result = self.call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"{shown(url)}: {result['errorText']}")
        deadline = time.monotonic() + timeout
        while self.loads == loads:
            if time.monotonic() > deadline:
                raise BrowserError(f"{shown(url)}: not loaded within {timeout:.0f} s")
            self.browser.pump(0.05)

    def evaluate(self, expression, timeout=None):
        """The value of a JavaScript expression (JSON-serialisable); raises ScriptError when it
        throws, BrowserError when the browser does not answer. Promises are awaited."""
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            timeout,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise ScriptError(
                f"{expression!r}: "
                f"{details.get('exception', {}).get('description') or details.get('text')}"
            )
        return result.get("result", {}).get("value")

    def wait_for(self, expression, seconds, interval=0.1):
        """Polls a JavaScript expression until it is truthy; returns the seconds it took, or None
        when it was not within seconds. An expression that throws, or that the page cannot
        evaluate now (it is between two documents), counts as false."""
        start = time.monotonic()
        while True:
            try:
                if self.evaluate(expression):
                    return time.monotonic() - start
            except (ScriptError, ProtocolError):
                pass
            if time.monotonic() - start > seconds:
                return None
            self.browser.pump(interval)

    def screenshot(self, path):
        """The whole page (not only the viewport) as a PNG file."""
        metrics = self.call("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        data = self.call(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": size["width"],
                         "height": min(size["height"], 8000), "scale": 1},
            },
            timeout=30,
        )["data"]
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))


# --- the site page's checks -------------------------------------------------------------------

# One snapshot of the page (the DOM contract of issue 17), as JSON.
SNAPSHOT = """(() => {
  const rows = (sel) => Array.from(document.querySelectorAll(sel));
  const main = document.querySelector('main');
  return {
    generated: document.body && document.body.dataset.generated || null,
    mainGenerated: main && main.dataset.generated || null,
    refresh: document.body && document.body.dataset.refreshSeconds || null,
    replicasTable: !!document.querySelector('table#replicas'),
    devicesTable: !!document.querySelector('table#devices'),
    discovery: !!document.querySelector('section#discovery'),
    history: !!document.querySelector('section#history'),
    admin: document.querySelectorAll('[data-admin]').length,
    replicas: rows('table#replicas tr.replica').map(r => ({
      id: r.dataset.replica, state: r.dataset.state, leader: r.dataset.leader,
      links: Array.from(r.querySelectorAll('a.leader-link')).map(a => a.href)})),
    devices: rows('table#devices tr.device').map(r => ({
      name: r.dataset.device, state: r.dataset.state, poller: r.dataset.poller})),
    // Not in the contract, for the messages: what promsnmp's page says of its last refresh.
    refreshState: (document.getElementById('refresh-state') || {}).textContent || '',
    noscriptRefresh: Array.from(document.querySelectorAll('noscript meta[http-equiv="refresh" i]'))
      .map(m => m.getAttribute('content')),
  };
})()"""


class CheckFailed(Exception):
    """A check of the page failed (the message says which and what was seen)."""


def read_auth(path):
    """user:password from a file holding either that or a curl config line `user = "u:p"`."""
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("user"):
                value = line.split("=", 1)[1] if "=" in line else line.split(None, 1)[1]
                return value.strip().strip('"')
            if ":" in line:
                return line
    raise CheckFailed(f"{path}: no user:password in it")


def check_page(name, snap, args, admin):
    """The contract's checks of one snapshot of the page, shown to the admin or to a reader;
    name (the tab's) starts the messages. Raises CheckFailed."""

    def need(condition, message):
        if not condition:
            raise CheckFailed(f"{name}: {message}")

    for what in ("replicasTable", "devicesTable", "discovery", "history"):
        need(snap[what], f"no {what} (table#replicas, table#devices, section#discovery, "
             "section#history expected)")
    need(snap["generated"], "no data-generated on <body>")
    need(snap["mainGenerated"], "no data-generated on <main>")
    need(snap["refresh"] == str(args.refresh_seconds),
         f"data-refresh-seconds is {snap['refresh']!r}, {args.refresh_seconds} expected")
    ids = [r["id"] for r in snap["replicas"]]
    need(sorted(ids) == sorted(args.replicas), f"replicas shown {ids}, expected {args.replicas}")
    for r in snap["replicas"]:
        need(r["state"] in ("up", "down"), f"replica {r['id']}: data-state {r['state']!r}")
        need(r["leader"] in ("true", "false"), f"replica {r['id']}: data-leader {r['leader']!r}")
        if r["leader"] != "true":
            need(not r["links"], f"replica {r['id']} is no leader but has an a.leader-link")
    leaders = [r for r in snap["replicas"] if r["leader"] == "true"]
    need(len(leaders) == 1, f"{len(leaders)} replicas marked leader: {[r['id'] for r in leaders]}")
    if args.leader:
        leader_id, address = args.leader.split("=", 1)
        need(leaders[0]["id"] == leader_id, f"{leaders[0]['id']} marked leader, {leader_id} leads")
        need(leaders[0]["links"], f"the leader's row ({leader_id}) has no a.leader-link")
        link = leaders[0]["links"][0]
        need(urllib.parse.urlsplit(link).netloc == address,
             f"the leader link {link} does not point to {address}")
    names = [d["name"] for d in snap["devices"]]
    need(len(names) == len(set(names)), f"a device is shown twice: {sorted(names)}")
    need(sorted(names) == sorted(args.devices),
         f"devices shown {sorted(names)}, the inventory has {sorted(args.devices)}")
    for d in snap["devices"]:
        need(d["state"] in ("up", "down", "unpolled"),
             f"device {d['name']}: data-state {d['state']!r}")
        need(d["poller"] in ("", *args.replicas),
             f"device {d['name']}: data-poller {d['poller']!r}")
        if d["name"] in args.pollers:
            need(d["poller"] in args.pollers[d["name"]],
                 f"device {d['name']}: polled by {d['poller']!r} on the page, by "
                 f"{'/'.join(args.pollers[d['name']])} in the replicas' metrics")
    if not admin:
        need(snap["admin"] == 0,
             f"{snap['admin']} admin-only elements ([data-admin]) shown to a reader")


def wait_or_fail(tab, name, expression, seconds, what):
    """Seconds until expression held in tab; CheckFailed with the page's snapshot if it did not
    within seconds."""
    took = tab.wait_for(expression, seconds)
    if took is None:
        seen = json.dumps(tab.evaluate(SNAPSHOT))[:1500]
        raise CheckFailed(f"{name}: {what} not within {seconds:.0f} s: {seen}")
    return took


def row(kind, key, value):
    """JavaScript: the tr.KIND whose data-KEY is value, or undefined."""
    return f"document.querySelector({json.dumps(f'tr.{kind}[data-{key}={json.dumps(value)}]')})"


def all_up(args):
    """JavaScript: every expected replica and device is shown up."""
    rows = [row("replica", "replica", r) for r in args.replicas]
    rows += [row("device", "device", d) for d in args.devices]
    return " && ".join(f"{r}?.dataset.state === 'up'" for r in rows)


def check_site(args):
    """Runs every check in one browser; on a failure, the errors the pages reported are printed
    and the front door's page is kept as <screenshot>-failure.png."""
    started = time.monotonic()

    def say(text):
        print(f"  [{time.monotonic() - started:4.1f} s] {text}", flush=True)

    with Chromium(binary=args.chromium) as browser:
        tabs = {}
        try:
            run_checks(browser, tabs, args, say)
        except CheckFailed:
            # What the page said may be why (a script that threw stops refreshing).
            for name, tab in tabs.items():
                for error in tab.errors:
                    say(f"{name}: {error}")
            if args.screenshot and "front door" in tabs:
                path = args.screenshot.removesuffix(".png") + "-failure.png"
                try:
                    tabs["front door"].screenshot(path)
                    say(f"the page at the failure: {path}")
                except BrowserError as e:
                    say(f"no screenshot of the failure: {e}")
            raise


def run_checks(browser, tabs, args, say):
    """The checks, in order; tabs (name -> Tab) is filled as they open."""
    admin_auth = read_auth(args.admin_auth)
    period = args.refresh_seconds
    # A replica's view of the others (and of the devices' pollers) may lag one refresh.
    settle = 2 * period + 2

    def open_checked(name, url, auth, admin):
        """A tab of url, loaded (HTTP 200), with every replica and device up, checked; returns
        its snapshot and the seconds until all were up."""
        tabs[name] = tab = browser.open_tab(url, auth=auth)
        if tab.document_status != 200:
            raise CheckFailed(f"{name} ({shown(url)}): HTTP {tab.document_status}")
        took = wait_or_fail(tab, name, all_up(args), settle, "every replica and device up")
        snap = tab.evaluate(SNAPSHOT)
        check_page(name, snap, args, admin=admin)
        return snap, took

    # As the admin: through the front door, and on one replica directly.
    for name, url in [("front door", args.url)] + [("replica", u) for u in args.replica_url]:
        snap, took = open_checked(name, url, admin_auth, admin=True)
        leader = next(r["id"] for r in snap["replicas"] if r["leader"] == "true")
        pollers = ", ".join(sorted({d["poller"] for d in snap["devices"]}))
        say(f"{name}: {len(snap['replicas'])} replicas up, leader {leader}, "
            f"{len(snap['devices'])} devices up (pollers {pollers}), {snap['admin']} admin-only "
            f"elements; all up after {took:.1f} s")
        if snap["admin"] < args.min_admin_elements:
            raise CheckFailed(f"{name}: {snap['admin']} admin-only elements ([data-admin]) shown "
                              f"to the admin, at least {args.min_admin_elements} expected")

    if args.read_auth:
        reader = read_auth(args.read_auth)
        open_checked("read-only user", args.url, reader, admin=False)
        say("read-only user: the page, no admin-only element")
        # As a browser user may: the credentials in the URL (the page's refresh must not fetch
        # that URL: a fetch of a URL with credentials fails).
        user, password = (urllib.parse.quote(p, safe="") for p in reader.split(":", 1))
        parts = urllib.parse.urlsplit(args.url)
        url = parts._replace(netloc=f"{user}:{password}@{parts.netloc}").geturl()
        open_checked("credentials in the URL", url, None, admin=False)
        say("credentials in the URL: the page, no admin-only element")

    # Without JavaScript: the tables, and a <noscript> meta refresh (checked below, reloading).
    name = "without JavaScript"
    tabs[name] = nojs = browser.open_tab(args.url, auth=admin_auth, javascript=False)
    snap = nojs.evaluate(SNAPSHOT)
    if not (snap["replicasTable"] and snap["devicesTable"]):
        raise CheckFailed(f"{name}: no replicas or devices table: {json.dumps(snap)[:1500]}")
    if sorted(r["id"] for r in snap["replicas"]) != sorted(args.replicas) or sorted(
            d["name"] for d in snap["devices"]) != sorted(args.devices):
        raise CheckFailed(f"{name}: not the replicas and devices expected: "
                          f"{json.dumps(snap['replicas'])} {json.dumps(snap['devices'])}")
    refresh = [c for c in snap["noscriptRefresh"] if c.split(";")[0].strip() == str(period)]
    if not refresh:
        raise CheckFailed(f"{name}: no <noscript><meta http-equiv=refresh content={period}>: "
                          f"{snap['noscriptRefresh']}")
    say(f"{name}: {len(snap['replicas'])} replicas, {len(snap['devices'])} devices, "
        f"<noscript> meta refresh {refresh[0]!r}")
    nojs_generated = snap["generated"]

    if args.screenshot:
        tabs["front door"].screenshot(args.screenshot)
        say(f"screenshot (every replica up): {args.screenshot}")

    # The JavaScript refresh swaps <main> in place: a mark set now survives it, a reload would
    # lose it. With a kill, the killed replica's row turning down is that refresh; without, one
    # refresh is waited for.
    live = {name: tab for name, tab in tabs.items() if tab is not nojs}
    before = {}
    for name, tab in live.items():
        tab.evaluate("window.__sitePageTest = 'same page'")
        before[name] = (tab.evaluate("document.querySelector('main').dataset.generated"), tab.loads)
    if args.kill_cmd:
        victim = args.killed
        say(f"killing {victim}: {args.kill_cmd}")
        subprocess.run(args.kill_cmd, shell=True, check=True, timeout=10)
        killed_at = time.monotonic()
        bound = 2 * period
        down = f"{row('replica', 'replica', victim)}?.dataset.state === 'down'"
        for name, tab in live.items():
            if tab.wait_for(down, max(0.0, bound - (time.monotonic() - killed_at))) is None:
                snap = tab.evaluate(SNAPSHOT)
                replicas = snap["replicas"]
                strangers = [r["id"] for r in replicas if r["id"] not in args.replicas]
                why = (f"; a replica is shown as {strangers}, not by its id (data-replica=\"ID\")"
                       if strangers else "")
                if snap["refreshState"]:
                    why += f"; the page says: {snap['refreshState']!r}"
                raise CheckFailed(f"{name}: {victim} not down within {bound} s (2 refresh "
                                  f"periods) of the kill{why}: {json.dumps(replicas)}")
            say(f"{name}: {victim} down {time.monotonic() - killed_at:.1f} s after the kill "
                f"(bound {bound} s, 2 refresh periods)")
            snap = tab.evaluate(SNAPSHOT)
            if any(r["state"] != "up" for r in snap["replicas"] if r["id"] != victim):
                raise CheckFailed(f"{name}: after the kill of {victim}: "
                                  f"{json.dumps(snap['replicas'])}")
    else:
        for name, tab in live.items():
            changed = ("document.querySelector('main').dataset.generated !== "
                       + json.dumps(before[name][0]))
            wait_or_fail(tab, name, changed, settle, "a refresh of <main>")
    for name, tab in live.items():
        generated, loads = before[name]
        if tab.evaluate("window.__sitePageTest") != "same page" or tab.loads != loads:
            raise CheckFailed(f"{name}: the page was reloaded, not refreshed in place")
        if tab.evaluate("document.querySelector('main').dataset.generated") == generated:
            raise CheckFailed(f"{name}: <main>'s data-generated did not change ({generated})")
    say("every tab with JavaScript refreshed in place (<main>'s data-generated changed, "
        "no reload)")

    # Meanwhile the page without JavaScript has reloaded itself (nothing else changes it).
    changed = "document.body?.dataset.generated !== " + json.dumps(nojs_generated)
    if nojs.wait_for(changed, settle) is None:
        raise CheckFailed(f"without JavaScript: the page did not reload itself within {settle} s "
                          f"(still generated at {nojs_generated})")
    say("without JavaScript: the page reloaded itself (meta refresh)")

    browser.pump(0.2)
    errors = [f"{name}: {e}" for name, tab in tabs.items() for e in tab.errors]
    if errors:
        raise CheckFailed("console errors:\n  " + "\n  ".join(errors))
    say(f"no console error in {len(tabs)} tabs")


def parse_pollers(text):
    """NAME=ID[/ID...],... -> {NAME: [ID, ...]}"""
    pollers = {}
    for item in filter(None, text.split(",")):
        name, ids = item.rsplit("=", 1)
        pollers[name] = ids.split("/")
    return pollers


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="check promsnmp's site page (issue 17's DOM contract)")
    check.add_argument("--url", required=True, help="the page through the front door (HAProxy)")
    check.add_argument("--replica-url", action="append", default=[],
                       help="the page on one replica directly (repeatable; not the one killed)")
    check.add_argument("--admin-auth", required=True,
                       help="file: user:password, or a curl config with a user line")
    check.add_argument("--read-auth",
                       help="the read-only user's file: the page without [data-admin] elements")
    check.add_argument("--replicas", required=True, type=lambda s: s.split(","),
                       help="the replica ids, comma-separated")
    check.add_argument("--devices", default=[], type=lambda s: [d for d in s.split(",") if d],
                       help="the inventory's device names, comma-separated")
    check.add_argument("--pollers", default={}, type=parse_pollers,
                       help="NAME=ID[/ID...],...: the replicas that have polled device NAME "
                       "(its data-poller is one of them)")
    check.add_argument("--leader",
                       help="ID=HOST:PORT: the leading replica and the address its link points to")
    check.add_argument("--refresh-seconds", type=int, default=5,
                       help="the page's refresh period (default 5)")
    check.add_argument("--min-admin-elements", type=int, default=0,
                       help="at least this many [data-admin] elements on the admin's page")
    check.add_argument("--kill-cmd", help="shell command killing a replica (run once, pages open)")
    check.add_argument("--killed", help="the id of the replica --kill-cmd kills")
    check.add_argument("--screenshot", help="PNG file of the front door's page")
    check.add_argument("--chromium", default="chromium", help="the browser (default chromium)")
    args = parser.parse_args()
    if args.kill_cmd and not args.killed:
        parser.error("--kill-cmd needs --killed")
    # timeout(1) and ctest stop a test with SIGTERM: exit through the finally blocks (chromium
    # killed, its profile removed).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        check_site(args)
    except (CheckFailed, BrowserError) as e:
        print(f"FAIL: {'browser: ' if isinstance(e, BrowserError) else ''}{e}", flush=True)
        return 1
    print("browser checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
