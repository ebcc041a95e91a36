"""tests/lib/relay.py: the shell tests' one TCP relay on loopback.

relay.py PORT BACKEND [--tls CRT KEY] [--idle S] [--slow FILE] [--log FILE]

Listens on 127.0.0.1:PORT and pipes each connection to 127.0.0.1:BACKEND,
both ways, until either side closes.
  --tls CRT KEY  the listening side speaks TLS with that certificate (a TLS
                 front for a plain backend: tests/lib/swift.sh's S3 port)
  --idle S       a connection silent for S seconds either way is closed
                 (default: never)
  --slow FILE    while FILE exists, what the backend sends on a connection
                 past its first 256 KiB passes at 32 KiB/s (8 KiB every
                 0.25 s: a slow link, above net/'s 16 KiB/s floor)
  --log FILE     a line per connection ("conn N"), and "conn N slowed at B
                 bytes" the first time a connection is slowed
Guarantees: it only ever connects to 127.0.0.1; a connection whose
backend is not there is closed; it runs until it is killed.
"""
import argparse
import os
import socket
import ssl
import sys
import threading
import time

SLOW_AFTER = 262144
SLOW_PIECE = 8192
SLOW_PAUSE = 0.25


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("backend", type=int)
    ap.add_argument("--tls", nargs=2, metavar=("CRT", "KEY"))
    ap.add_argument("--idle", type=float)
    ap.add_argument("--slow")
    ap.add_argument("--log")
    a = ap.parse_args()
    ctx = None
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
    lk = threading.Lock()

    def note(m):
        if a.log:
            with lk, open(a.log, "a") as f:
                f.write(m + "\n")

    def pipe(src, dst, cid, down):
        n, said = 0, False
        try:
            while True:
                d = src.recv(65536)
                if not d:
                    break
                while d:
                    if down and a.slow and n > SLOW_AFTER and os.path.exists(a.slow):
                        if not said:
                            note("conn %d slowed at %d bytes" % (cid, n))
                            said = True
                        k = d[:SLOW_PIECE]
                        time.sleep(SLOW_PAUSE)
                    else:
                        k = d
                    dst.sendall(k)
                    n += len(k)
                    d = d[len(k):]
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def serve(c, cid):
        try:
            c.settimeout(30)
            if ctx:
                c = ctx.wrap_socket(c, server_side=True)
            b = socket.create_connection(("127.0.0.1", a.backend), timeout=30)
        except OSError:
            c.close()
            return
        c.settimeout(a.idle)
        b.settimeout(a.idle)
        note("conn %d" % cid)
        threading.Thread(target=pipe, args=(b, c, cid, True), daemon=True).start()
        pipe(c, b, cid, False)

    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", a.port))
    ls.listen(64)
    cid = 0
    while True:
        c, _ = ls.accept()
        cid += 1
        threading.Thread(target=serve, args=(c, cid), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
