#!/usr/bin/env python3
"""holdproxy.py LISTEN_SOCKET UPSTREAM APPNAME RELEASE - a byte relay
between PostgreSQL clients and a server that holds some connections back.

Each client of the Unix socket LISTEN_SOCKET is relayed to a session of
its own on the Unix socket UPSTREAM, byte for byte.  A client whose
startup packet names application_name APPNAME exactly is held: nothing
of it reaches the server (it waits for its authentication) until the file
RELEASE exists.  The proxy prints "held PID" when it holds one and
"released PID" when it lets it go, one line each, PID the client's
process (SO_PEERCRED).  No SSL or GSS encryption (libpq asks for
neither on a Unix socket).
"""
import os
import socket
import struct
import sys
import threading
import time

out = threading.Lock()


def say(word):
    with out:
        print(word, flush=True)


def relay(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(client, upstream, text, release):
    try:
        first = client.recv(65536)
        if not first:
            raise OSError("client left")
        if text in first:
            cred = client.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                     struct.calcsize("3i"))
            pid = struct.unpack("3i", cred)[0]
            say("held %d" % pid)
            while not os.path.exists(release):
                time.sleep(0.02)
            say("released %d" % pid)
        up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        up.connect(upstream)
        up.sendall(first)
    except OSError:
        client.close()
        return
    threading.Thread(target=relay, args=(up, client), daemon=True).start()
    relay(client, up)


def main():
    listen_path, upstream, app, release = sys.argv[1:5]
    text = b"application_name\x00" + app.encode() + b"\x00"
    if os.path.exists(listen_path):
        os.unlink(listen_path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(listen_path)
    os.chmod(listen_path, 0o777)
    srv.listen(64)
    say("listening")
    while True:
        client, _ = srv.accept()
        threading.Thread(target=serve, args=(client, upstream, text,
                                             release), daemon=True).start()


if __name__ == "__main__":
    main()
