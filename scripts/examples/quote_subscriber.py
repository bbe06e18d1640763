#!/usr/bin/env python3
"""Subscribes to AlphaMind quotes with nats-py and msgpack, as a client in any language would.

Install the two packages into the per-user cache (nothing system-wide):
    python3 -m venv ~/.cache/alphamind/python-examples
    ~/.cache/alphamind/python-examples/bin/pip install nats-py msgpack
Run:
    ~/.cache/alphamind/python-examples/bin/python scripts/examples/quote_subscriber.py \
        --url nats://127.0.0.1:4222 --subject 'am.md.quote.>' --count 10 \
        --credentials ~/.cache/alphamind/nats-credentials/reader.json

The server admits no anonymous client: the example connects as the read-only `reader` user (market data and
events only), with the credentials the set-up generated. With TLS on, add --ca <the CA file of AM_NATS_TLS_CA>.

Each message is one JSON line on stdout: the type from the am-type header, the body, the Python type of each
field (integers must arrive as int, never float) and prices and sizes as decimals (1e-8 fixed point). The wire
contract is in docs/messages.md.
"""
import argparse
import asyncio
import json
import os
import ssl
import sys
from decimal import Decimal

import msgpack
import nats

FIXED_FIELDS = ("bid", "ask", "bidSize", "askSize", "price", "size", "quantity")


def fixed_point(units):
    """Integer 1e-8 units as an exact decimal string: 41012345678901 -> "410123.45678901"."""
    return format(Decimal(units).scaleb(-8).normalize(), "f")


def refuse_extension(code, data):
    # The platform sends standard msgpack only: an extension type is a broken contract, not data.
    raise ValueError(f"msgpack extension type {code} on the wire")


def decode(data):
    return msgpack.unpackb(data, raw=False, ext_hook=refuse_extension, strict_map_key=True)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="nats://127.0.0.1:4222")
    parser.add_argument("--subject", default="am.md.quote.>")
    parser.add_argument("--count", type=int, default=0, help="exit after this many messages (0: run until stopped)")
    parser.add_argument(
        "--credentials",
        default=os.path.expanduser("~/.cache/alphamind/nats-credentials/reader.json"),
        help="JSON file with the NATS user and password (the set-up's reader.json)",
    )
    parser.add_argument("--ca", help="PEM CA file to trust: connect over TLS")
    args = parser.parse_args()

    with open(args.credentials, encoding="utf-8") as f:
        credentials = json.load(f)
    tls = ssl.create_default_context(cafile=args.ca) if args.ca else None
    nc = await nats.connect(
        args.url, name="python-quote-subscriber", user=credentials["user"], password=credentials["password"], tls=tls
    )
    done = asyncio.Event()
    seen = 0

    async def on_message(msg):
        nonlocal seen
        body = decode(msg.data)
        line = {
            "subject": msg.subject,
            "type": (msg.headers or {}).get("am-type"),
            "body": body,
            "types": {k: type(v).__name__ for k, v in body.items()},
            "decimals": {k: fixed_point(v) for k, v in body.items() if k in FIXED_FIELDS and isinstance(v, int)},
        }
        print(json.dumps(line), flush=True)
        seen += 1
        if args.count and seen >= args.count:
            done.set()

    await nc.subscribe(args.subject, cb=on_message)
    await nc.flush()
    print(f"subscribed to {args.subject}", file=sys.stderr, flush=True)
    await done.wait()  # set only when --count is reached
    await nc.drain()


if __name__ == "__main__":
    asyncio.run(main())
