#!/usr/bin/env python3
"""A TCP proxy on loopback that counts the bytes each way, to compare tools on the wire.

Usage: count-proxy.py TARGET_PORT PORTS_FILE [RECORD_DIR]
Listens on two free ports of 127.0.0.1 and writes "PROXY_PORT CONTROL_PORT" to PORTS_FILE.
Connections to PROXY_PORT are relayed to 127.0.0.1:TARGET_PORT. A connection to CONTROL_PORT
waits (up to 5 s) until no relayed connection is open, answers "UP DOWN" — the bytes sent to and
received from the target since the previous answer — and closes.
With RECORD_DIR, what each relayed client sends is also kept, for replay-requests.py: one file
per connection, RECORD_DIR/NNNNNN.in, numbered in the order connections opened.
"""
import os, socket, sys, threading, time

target_port, ports_file = int(sys.argv[1]), sys.argv[2]
record_dir = sys.argv[3] if len(sys.argv) > 3 else None
if record_dir:
    os.makedirs(record_dir, exist_ok=True)
lock = threading.Condition()
state = {"up": 0, "down": 0, "open": 0, "connections": 0}

def pump(src, dst, key, record=None):
    try:
        while True:
            data = src.recv(262144)
            if not data:
                break
            if record is not None:
                record.write(data)
            dst.sendall(data)
            with lock:
                state[key] += len(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass

def relay(client):
    try:
        server = socket.create_connection(("127.0.0.1", target_port))
    except OSError:
        client.close()
        return
    for s in (client, server):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    record = None
    if record_dir:
        with lock:
            state["connections"] += 1
            record = open(os.path.join(record_dir, "%06d.in" % state["connections"]), "wb")
    up = threading.Thread(target=pump, args=(client, server, "up", record))
    up.start()
    pump(server, client, "down")
    up.join()
    if record is not None:
        record.close()
    client.close()
    server.close()
    with lock:
        state["open"] -= 1
        lock.notify_all()

def control(conn):
    deadline = time.monotonic() + 5
    with lock:
        while state["open"] > 0 and time.monotonic() < deadline:
            lock.wait(0.05)
        answer = "%d %d\n" % (state["up"], state["down"])
        state["up"] = state["down"] = 0
    conn.sendall(answer.encode())
    conn.close()

def serve(listener, handler, counted):
    while True:
        conn, _ = listener.accept()
        if counted:
            with lock:
                state["open"] += 1
        threading.Thread(target=handler, args=(conn,), daemon=True).start()

listeners = []
for _ in range(2):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(128)
    listeners.append(s)
with open(ports_file + ".tmp", "w") as f:
    f.write("%d %d\n" % (listeners[0].getsockname()[1], listeners[1].getsockname()[1]))
import os; os.replace(ports_file + ".tmp", ports_file)
threading.Thread(target=serve, args=(listeners[1], control, False), daemon=True).start()
serve(listeners[0], relay, True)
