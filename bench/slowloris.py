"""A slowloris client for the serving benchmark (BENCHMARKS.md, issue 10):
opens N connections to HOST:PORT and keeps each one half-way through its
request headers, sending one more header byte every few seconds and
reopening any connection the server closes, until killed. Standard library
only.

    python3 bench/slowloris.py 127.0.0.1 5079 500
"""
import socket
import sys
import time


def opened(host, port):
    sock = socket.create_connection((host, port), timeout=5)
    sock.sendall(b"GET /predict_api HTTP/1.1\r\nHost: x\r\n")
    return sock


def main(host, port, n):
    sockets = []
    while True:
        while len(sockets) < n:
            try:
                sockets.append(opened(host, port))
            except OSError:
                time.sleep(0.05)
                break
        alive = []
        for sock in sockets:
            try:
                sock.sendall(b"X")
                alive.append(sock)
            except OSError:
                sock.close()
        sockets = alive
        time.sleep(2)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
