#!/usr/bin/env python3
"""Small servers for the checker tests, well-behaved and hostile, one per process.

    fake_server.py MODE ADDRESS PORT [ARG]

MODE is one of
  silent    accept TCP connections and never answer (keepalived #1817)
  garbage   answer every connection with bytes that are not HTTP
  bigheader answer with an HTTP header that never ends (ARG bytes, default 1 MiB)
  trickle   answer a header, then one body byte every half second, forever
  chunked   answer HTTP/1.1 with a chunked body (with a chunk extension and a trailer)
  close     answer HTTP/1.0 with no Content-Length: the body ends when the server closes
  udp-echo  send every UDP datagram back
Prints "ready" on stdout once listening.
"""

from __future__ import annotations

import socket
import sys
import threading
import time

BODY = b"<html><body>vigil test page</body></html>\n"


def serve_tcp(addr: str, port: int, handle) -> None:
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(128)
    print("ready", flush=True)
    keep = []  # silent connections stay open
    while True:
        conn, _ = s.accept()
        keep.append(conn)
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def read_request(conn: socket.socket) -> None:
    conn.settimeout(5)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
    except OSError:
        return


def main() -> None:
    mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    arg = sys.argv[4] if len(sys.argv) > 4 else None

    def silent(conn):
        time.sleep(3600)

    def garbage(conn):
        read_request(conn)
        try:
            conn.sendall(b"\x00\xffthis is not HTTP at all\r\n\r\n" * 4)
            conn.close()
        except OSError:
            pass

    def bigheader(conn):
        read_request(conn)
        size = int(arg or 1 << 20)
        try:
            conn.sendall(b"HTTP/1.0 200 OK\r\n")
            line = b"X-Filler: " + b"a" * 100 + b"\r\n"
            sent = 0
            while sent < size:
                conn.sendall(line)
                sent += len(line)
            conn.close()
        except OSError:
            pass

    def trickle(conn):
        read_request(conn)
        try:
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 1000000\r\n\r\n")
            while True:
                conn.sendall(b"X")
                time.sleep(0.5)
        except OSError:
            pass

    def chunked(conn):
        read_request(conn)
        body = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                b"10;ext=1\r\n" + BODY[:16] + b"\r\n" +
                format(len(BODY) - 16, "x").encode() + b"\r\n" + BODY[16:] + b"\r\n"
                b"0\r\nX-Trailer: yes\r\n\r\n")
        try:
            conn.sendall(body)
            conn.close()
        except OSError:
            pass

    def close(conn):
        read_request(conn)
        try:
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + BODY)
            conn.shutdown(socket.SHUT_WR)
            conn.close()
        except OSError:
            pass

    if mode == "udp-echo":
        family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.bind((addr, port))
        print("ready", flush=True)
        while True:
            data, peer = s.recvfrom(65536)
            s.sendto(data, peer)
    handlers = {"silent": silent, "garbage": garbage, "bigheader": bigheader,
                "trickle": trickle, "chunked": chunked, "close": close}
    serve_tcp(addr, port, handlers[mode])


if __name__ == "__main__":
    main()
