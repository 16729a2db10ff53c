"""Print every message of the six topics from the beginning, with kafka-python (not aiokafka).

    python -m scripts.read_topics [--bootstrap 127.0.0.1:9092] [--order ORD-001]

A working alternative to `kcat`, whose Debian build is too old for the local broker's handshake.
"""
from __future__ import annotations

import argparse
import json

from kafka import KafkaConsumer

SIX_TOPICS = ["BUYER_ACKNOWLEDGEMENTS", "BUYER_NOTIFY", "REQ_failures",
              "SELLER_ACKNOWLEDGEMENTS", "SELLER_NOTIFY", "PRP_FAILURES"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--order", help="only this OrderReqId")
    parser.add_argument("--full", action="store_true", help="print whole values, not summaries")
    args = parser.parse_args()
    for topic in SIX_TOPICS:
        consumer = KafkaConsumer(topic, bootstrap_servers=args.bootstrap, group_id=None,
                                 auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=1500)
        for message in consumer:
            value = json.loads(message.value)
            if args.order and value["order_req_id"] != args.order:
                continue
            summary = value if args.full else {k: value[k] for k in ("event_type", "order_req_id", "event_id")}
            print(f"{message.topic:24} {message.key.decode():15} {json.dumps(summary)}")
        consumer.close()


if __name__ == "__main__":
    main()
