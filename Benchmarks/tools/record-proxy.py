#!/usr/bin/env python3
"""A TCP relay on loopback that records what clients send, for replay-requests.py.

Usage: record-proxy.py TARGET_PORT PORT_FILE RECORD_DIR
Listens on a free port of 127.0.0.1, writes it to PORT_FILE, and relays every connection to
127.0.0.1:TARGET_PORT. Each connection's client-to-server bytes go to RECORD_DIR/NNNNNN.in
(numbered in the order connections opened), closed when the connection ends.
"""
import os, socket, sys, threading

target_port, port_file, record_dir = int(sys.argv[1]), sys.argv[2], sys.argv[3]
os.makedirs(record_dir, exist_ok=True)
counter = {"n": 0}
lock = threading.Lock()

def pump(src, dst, record=None):
    try:
        while True:
            data = src.recv(262144)
            if not data:
                break
            if record is not None:
                record.write(data)
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass

def relay(client, n):
    try:
        server = socket.create_connection(("127.0.0.1", target_port))
    except OSError:
        client.close()
        return
    for s in (client, server):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with open(os.path.join(record_dir, "%06d.in" % n), "wb") as record:
        up = threading.Thread(target=pump, args=(client, server, record))
        up.start()
        pump(server, client)
        up.join()
    client.close()
    server.close()

listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(128)
with open(port_file + ".tmp", "w") as f:
    f.write("%d\n" % listener.getsockname()[1])
os.replace(port_file + ".tmp", port_file)
while True:
    conn, _ = listener.accept()
    with lock:
        counter["n"] += 1
        n = counter["n"]
    threading.Thread(target=relay, args=(conn, n), daemon=True).start()
