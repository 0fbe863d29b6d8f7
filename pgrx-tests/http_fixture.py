#!/usr/bin/env python3
"""Stdlib-only HTTP test server for spine's end-to-end image-fetch tests.

Usage: python3 http_fixture.py [-v] PORTFILE

Binds 127.0.0.1:0, writes the port number to PORTFILE (atomically: a temp
file renamed into place, so readers never see a partial write), and serves
until killed. Quiet unless -v (then one log line per request on stderr).

Endpoints (all GET; HEAD not supported):
  /solid/RRGGBB.png?w=64&h=48                 solid-colour RGB PNG
  /twotone/RRGGBB/RRGGBB.png?w=64&h=48&split=0.5
                                              top round(split*h) rows colour 1,
                                              the rest colour 2
  /big.png          image/png, Content-Length 30 MB, streamed (not a valid PNG)
  /big-chunked.png  same 30 MB, chunked, no Content-Length
  /page.html        text/html
  /slow.png         image/png headers (Content-Length 1000), then sleeps 30 s
  /stall            accepts, reads the request, sleeps 30 s before answering
  /redirect?to=URL  302 to URL
  /status/NNN       that status (text/plain body)
  /count            JSON {"path": hits, ...}: requests per path (query
                    stripped), /count itself excluded
Anything else is 404. Every response carries Connection: close.
"""

import json
import os
import re
import struct
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

BIG_SIZE = 30 * 1024 * 1024
MAX_SIDE = 4096

COUNTS = {}
COUNTS_LOCK = threading.Lock()
VERBOSE = False


def png_chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def make_png(width, height, row_colour):
    """RGB8 PNG; row_colour(y) -> (r, g, b)."""
    raw = bytearray()
    for y in range(height):
        r, g, b = row_colour(y)
        raw.append(0)  # filter: none
        raw += bytes((r, g, b)) * width
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + png_chunk(b"IEND", b"")
    )


def parse_colour(text):
    if not re.fullmatch(r"[0-9a-fA-F]{6}", text):
        raise ValueError("colour must be RRGGBB hex")
    return tuple(int(text[i:i + 2], 16) for i in (0, 2, 4))


def int_param(query, name, default):
    value = int(query.get(name, [default])[0])
    if not 1 <= value <= MAX_SIDE:
        raise ValueError(f"{name} must be 1..{MAX_SIDE}")
    return value


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "spine-http-fixture/0.1"

    def log_message(self, fmt, *args):
        if VERBOSE:
            super().log_message(fmt, *args)

    def send(self, status, ctype, body, extra=()):
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def stream_big(self, chunked):
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(BIG_SIZE))
        self.send_header("Connection", "close")
        self.end_headers()
        block = b"\x89PNG\r\n\x1a\n" + b"\0" * (64 * 1024 - 8)
        sent = 0
        try:
            while sent < BIG_SIZE:
                piece = block[: min(len(block), BIG_SIZE - sent)]
                if chunked:
                    self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
                else:
                    self.wfile.write(piece)
                sent += len(piece)
                block = b"\0" * len(block)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should

    def do_GET(self):
        self.close_connection = True
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)
        if path != "/count":
            with COUNTS_LOCK:
                COUNTS[path] = COUNTS.get(path, 0) + 1
        try:
            self.route(path, query)
        except ValueError as e:
            self.send(400, "text/plain; charset=utf-8", f"bad request: {e}\n".encode())
        except (BrokenPipeError, ConnectionResetError):
            pass

    def route(self, path, query):
        # ?delay=SECONDS on any endpoint: answer that much later (a job that takes a while)
        if "delay" in query:
            delay = float(query["delay"][0])
            if not 0.0 <= delay <= 60.0:
                raise ValueError("delay must be 0..60 seconds")
            time.sleep(delay)
        m = re.fullmatch(r"/solid/([^/]+)\.png", path)
        if m:
            colour = parse_colour(m.group(1))
            w, h = int_param(query, "w", 64), int_param(query, "h", 48)
            return self.send(200, "image/png", make_png(w, h, lambda y: colour))
        m = re.fullmatch(r"/twotone/([^/]+)/([^/]+)\.png", path)
        if m:
            top, bottom = parse_colour(m.group(1)), parse_colour(m.group(2))
            w, h = int_param(query, "w", 64), int_param(query, "h", 48)
            split = float(query.get("split", ["0.5"])[0])
            if not 0.0 <= split <= 1.0:
                raise ValueError("split must be 0..1")
            rows = round(split * h)
            return self.send(200, "image/png", make_png(w, h, lambda y: top if y < rows else bottom))
        if path == "/big.png":
            return self.stream_big(chunked=False)
        if path == "/big-chunked.png":
            return self.stream_big(chunked=True)
        if path == "/page.html":
            return self.send(200, "text/html; charset=utf-8", b"<!doctype html><title>page</title><p>not an image</p>\n")
        if path == "/slow.png":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", "1000")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.flush()
            time.sleep(30)
            return None
        if path == "/stall":
            time.sleep(30)
            return None
        if path == "/redirect":
            to = query.get("to", [None])[0]
            if not to:
                raise ValueError("missing to=")
            return self.send(302, "text/plain; charset=utf-8", b"redirect\n", [("Location", to)])
        m = re.fullmatch(r"/status/(\d{3})", path)
        if m:
            code = int(m.group(1))
            if not 200 <= code <= 599:
                raise ValueError("status must be 200..599")
            if code in (204, 304):
                # No body allowed.
                self.send_response(code)
                self.send_header("Connection", "close")
                self.end_headers()
                return None
            return self.send(code, "text/plain; charset=utf-8", f"status {code}\n".encode())
        if path == "/count":
            with COUNTS_LOCK:
                body = json.dumps(COUNTS, sort_keys=True).encode()
            return self.send(200, "application/json", body)
        return self.send(404, "text/plain; charset=utf-8", b"not found\n")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv):
    global VERBOSE
    args = [a for a in argv[1:] if a != "-v"]
    VERBOSE = len(args) != len(argv) - 1
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    portfile = args[0]
    server = Server(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, portfile)
    if VERBOSE:
        print(f"http_fixture listening on 127.0.0.1:{port}", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
