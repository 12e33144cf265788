#!/usr/bin/env python3
"""Closed-loop SNMPv2c GETBULK load for snmp-fleet-sim's throughput figure.

Keeps WINDOW requests in flight to 100 device addresses (127.1.0.1 ...) for SECONDS and prints
responses per second. Requests are pre-encoded BER, so one Python process can outrun the
simulator's single core. Usage: loadgen.py PORT SECONDS WINDOW MAX_REPETITIONS [COMMUNITY]
"""
import select
import socket
import sys
import time


def tlv(tag, body):
    n = len(body)
    if n < 128:
        length = bytes([n])
    elif n < 256:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82, n >> 8, n & 255])
    return bytes([tag]) + length + body


def integer(v):
    return tlv(2, v.to_bytes(4, "big"))


def getbulk(request_id, community, repetitions):
    if_hc_in_octets = bytes([0x2B, 6, 1, 2, 1, 31, 1, 1, 1, 6])
    varbinds = tlv(0x30, tlv(0x30, tlv(6, if_hc_in_octets) + b"\x05\x00"))
    pdu = tlv(0xA5, integer(request_id) + integer(0) + integer(repetitions) + varbinds)
    return tlv(0x30, integer(1) + tlv(4, community) + pdu)


def main():
    port, seconds, window, repetitions = (int(sys.argv[1]), float(sys.argv[2]),
                                          int(sys.argv[3]), int(sys.argv[4]))
    community = (sys.argv[5] if len(sys.argv) > 5 else "cisco_16_switch").encode()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    targets = [("127.1.%d.%d" % (i // 250, i % 250 + 1), port) for i in range(100)]
    packets = [getbulk(i, community, repetitions) for i in range(100)]
    sent = received = 0

    def send():
        nonlocal sent
        sock.sendto(packets[sent % 100], targets[sent % 100])
        sent += 1

    for _ in range(window):
        send()
    end = time.time() + seconds
    while time.time() < end:
        ready, _, _ = select.select([sock], [], [], 0.2)
        if not ready:  # everything in flight was lost: refill the window
            for _ in range(window):
                send()
            continue
        while True:
            try:
                sock.recv(65536)
            except BlockingIOError:
                break
            received += 1
            send()
    print("sent=%d received=%d responses_per_s=%.0f" % (sent, received, received / seconds))


if __name__ == "__main__":
    main()
