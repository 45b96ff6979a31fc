#!/usr/bin/env python3
"""keyproxy.py LISTEN_SOCKET UPSTREAM_SOCKET TEXT - a proxy in the manner
of a transaction-mode pooler that passes the real backend's key on.

Each client gets two server sessions, A and B, started with the client's
startup packet.  The client sees A's start (its BackendKeyData: A's own
pid); every query goes to A, except one whose text holds TEXT, which goes
to B.  So a client that compares pg_backend_pid() with the key sees A and
takes the connection for a direct one, while the statement holding TEXT
runs on another backend.  Simple and extended protocol; one client query
(up to its Sync) at a time; no SSL, no COPY, no cancel.
"""
import os
import socket
import struct
import sys
import threading


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        got = s.recv(n - len(buf))
        if not got:
            raise EOFError
        buf += got
    return buf


def read_msg(s):
    head = recv_exact(s, 5)
    (n,) = struct.unpack("!I", head[1:])
    return head[:1], head + recv_exact(s, n - 4)


def relay_until_ready(up, client):
    while True:
        kind, raw = read_msg(up)
        if client is not None:
            client.sendall(raw)
        if kind == b"Z":
            return


def serve(client, upstream, text):
    (n,) = struct.unpack("!I", recv_exact(client, 4))
    startup = struct.pack("!I", n) + recv_exact(client, n - 4)
    ups = []
    for _ in range(2):
        u = socket.socket(socket.AF_UNIX)
        u.connect(upstream)
        u.sendall(startup)
        ups.append(u)
    relay_until_ready(ups[0], client)
    relay_until_ready(ups[1], None)
    pending = b""
    try:
        while True:
            kind, raw = read_msg(client)
            pending += raw
            if kind == b"X":
                for u in ups:
                    u.sendall(raw)
                return
            if kind not in (b"Q", b"S"):
                continue
            up = ups[1] if text in pending else ups[0]
            up.sendall(pending)
            pending = b""
            relay_until_ready(up, client)
    except (EOFError, OSError):
        pass
    finally:
        for u in ups:
            u.close()
        client.close()


def main():
    listen, upstream, text = sys.argv[1], sys.argv[2], sys.argv[3].encode()
    if os.path.exists(listen):
        os.unlink(listen)
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(listen)
    srv.listen(16)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c, upstream, text),
                         daemon=True).start()


if __name__ == "__main__":
    main()
