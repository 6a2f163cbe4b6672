#!/usr/bin/python3
"""The tiny servers the e2e topology runs inside its namespaces.

  --http PORT:DIR    serve DIR over HTTP on 0.0.0.0:PORT (the "internet", "S3",
                     a container's file server)
  --udp PORT:LOG     a DNS-ish UDP listener: answers every datagram with
                     b"reply:" + payload and appends the payload (hex) to LOG,
                     so the suite can prove a probe never arrived

All listeners run until SIGTERM. Thread-safety: one thread per listener.
"""
import argparse
import functools
import http.server
import signal
import socket
import sys
import threading


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):  # keep the logs small
        pass


def serve_http(port, directory):
    handler = functools.partial(QuietHandler, directory=directory)
    srv = http.server.ThreadingHTTPServer(("0.0.0.0", port), handler)
    srv.daemon_threads = True
    srv.serve_forever()


def serve_udp(port, log_path):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    while True:
        data, peer = s.recvfrom(2048)
        with open(log_path, "a") as f:
            f.write(f"{peer[0]} {data.hex()}\n")
        s.sendto(b"reply:" + data, peer)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--http", action="append", default=[])
    ap.add_argument("--udp", action="append", default=[])
    a = ap.parse_args()
    threads = []
    for spec in a.http:
        port, d = spec.split(":", 1)
        threads.append(threading.Thread(target=serve_http, args=(int(port), d), daemon=True))
    for spec in a.udp:
        port, log = spec.split(":", 1)
        threads.append(threading.Thread(target=serve_udp, args=(int(port), log), daemon=True))
    for t in threads:
        t.start()
    print("services: up", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
