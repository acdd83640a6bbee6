#!/usr/bin/env python3
"""Host side of the guest TCP stream (tests/linux/tcpstream.c).

Connects to 127.0.0.1:PORT, which the emulator's user-mode network forwards
to the guest (loopback only), retrying until the guest listens, and echoes
64-byte records, checking that every record arrives exactly once, in order, intact.
The final record (sequence 2^64-1) asks for the verdict, which is sent back
as one line (the guest prints it on its serial console) and also printed here.
Exits by itself after --timeout seconds.
"""
import socket
import struct
import sys
import time

REC = 64


def expected(seq):
    return struct.pack("<Q", seq) + bytes(((seq * 31 + i) & 0xFF) for i in range(8, REC))


def connect(port, deadline):
    """Connect through the forward; slirp accepts on the host side even while the
    guest is not listening yet and then closes, so wait for the first echo."""
    while time.monotonic() < deadline:
        try:
            conn = socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            time.sleep(1)
            continue
        # A slow emulator may take long to accept and send: only EOF or a
        # reset (nobody listening yet) means try again.
        conn.settimeout(max(1.0, deadline - time.monotonic()))
        try:
            if conn.recv(REC, socket.MSG_PEEK):
                return conn
        except socket.timeout:
            pass
        except OSError:
            pass
        conn.close()
        time.sleep(1)
    return None


def main():
    port = int(sys.argv[1])
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 1800
    conn = connect(port, time.monotonic() + timeout)
    if conn is None:
        print("stream_peer: FAIL could not connect", flush=True)
        return
    conn.settimeout(timeout)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    print(f"stream_peer: connected to 127.0.0.1:{port}", flush=True)
    seq, worst, last, error = 0, 0.0, time.monotonic(), None
    buf = b""
    while True:
        while len(buf) < REC:
            chunk = conn.recv(65536)
            if not chunk:
                error = error or f"connection closed after {seq} records"
                break
            buf += chunk
        if len(buf) < REC:
            break
        rec, buf = buf[:REC], buf[REC:]
        (got,) = struct.unpack("<Q", rec[:8])
        if got == 2**64 - 1:
            break
        now = time.monotonic()
        worst = max(worst, now - last)
        last = now
        if error is None and rec != expected(seq):
            error = f"record {seq}: got sequence {got}" + (
                " (corrupted)" if got == seq else " (lost, duplicated or reordered)")
        conn.sendall(rec)
        seq += 1
    if error:
        verdict = f"FAIL {error}"
    else:
        verdict = f"PASS {seq} records arrived exactly once and in order, longest stall {worst:.3f} s (host time)"
    print(f"stream_peer: {verdict}", flush=True)
    try:
        conn.sendall((verdict + "\n").encode())
    except OSError:
        pass
    conn.close()


if __name__ == "__main__":
    main()
