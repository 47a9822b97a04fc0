#!/usr/bin/env python3
"""Sends recorded HTTP/1.1 connections again, all at once: the province's load without the
bureaus' processes on the same cores (Benchmarks/ingest-postgresql.sh, "province alone").

Usage: replay-requests.py PORT RECORD_DIR...
Each RECORD_DIR holds the client-to-server bytes of recorded connections (count-proxy.py with a
RECORD_DIR, NNNNNN.in), each replayed on its own connection to 127.0.0.1:PORT of its folder's order
(the first folder to the first PORT…: PORT may be a comma-separated list, one per folder).
Within a connection the requests go in order, each after the answer to the one before.
Prints "REQUESTS SECONDS" and exits 1 if any answer is not 2xx (naming it).
"""
import os, socket, sys, threading, time

ports = [int(p) for p in sys.argv[1].split(",")]
folders = sys.argv[2:]
if len(ports) == 1:
    ports = ports * len(folders)

def requests(data):
    """Splits a recorded client stream into requests (head + Content-Length body)."""
    out, i = [], 0
    while i < len(data):
        end = data.find(b"\r\n\r\n", i)
        if end < 0:
            break
        head = data[i:end + 4]
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
            if name.strip().lower() == b"transfer-encoding":
                raise SystemExit("recorded request with Transfer-Encoding: not supported")
        out.append(data[i:end + 4 + length])
        i = end + 4 + length
    return out

def receive(sock, buffer, enough, where):
    """Reads from sock onto buffer until enough(buffer); `where` names the place in an error."""
    while not enough(buffer):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed " + where)
        buffer += chunk
    return buffer

def read_answer(sock, buffer):
    """Reads one final answer (skipping 100 Continue); returns (status, rest of buffer)."""
    while True:
        buffer = receive(sock, buffer, lambda b: b"\r\n\r\n" in b, "before an answer")
        end = buffer.index(b"\r\n\r\n")
        head, buffer = buffer[:end], buffer[end + 4:]
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        if status == 100:
            continue
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if b"content-length" in headers:
            length = int(headers[b"content-length"])
            buffer = receive(sock, buffer, lambda b: len(b) >= length, "inside an answer")
            return status, buffer[length:]
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            while True:
                buffer = receive(sock, buffer, lambda b: b"\r\n" in b, "inside an answer")
                line, _, buffer = buffer.partition(b"\r\n")
                size = int(line.split(b";")[0], 16)
                buffer = receive(sock, buffer, lambda b: len(b) >= size + 2, "inside an answer")
                buffer = buffer[size + 2:]
                if size == 0:
                    return status, buffer
        return status, buffer
        return status, buffer

failures, count = [], [0]
lock = threading.Lock()

def replay(port, path, reqs):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buffer = b""
    try:
        for request in reqs:
            sock.sendall(request)
            status, buffer = read_answer(sock, buffer)
            with lock:
                count[0] += 1
                if not 200 <= status < 300:
                    failures.append("%s: %s answered %d" % (path, request.split(b"\r\n", 1)[0].decode(), status))
    except (OSError, ConnectionError) as error:
        with lock:
            failures.append("%s: %s" % (path, error))
    finally:
        sock.close()

work = []
for port, folder in zip(ports, folders):
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            reqs = requests(f.read())
        if reqs:
            work.append((port, os.path.join(folder, name), reqs))
threads = [threading.Thread(target=replay, args=w) for w in work]
t0 = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join()
seconds = time.monotonic() - t0
print(count[0], "%.3f" % seconds)
if failures:
    print("\n".join(failures[:20]), file=sys.stderr)
    sys.exit(1)
