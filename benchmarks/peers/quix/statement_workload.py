#!/usr/bin/env python3
"""The statement lifecycle workload on Quix Streams: the peer Flowstate is compared with.

Consumes the eight `statement.<status>` topics (JSON values keyed by organisation id), keeps
each statement and its history in Quix's RocksDB state (with changelog topics), runs the
worker of the record's status and produces the statement with its next status to that
status's topic; stale or unknown records go to `statement.rejections`. With
`--guarantee exactly-once` each commit is one Kafka transaction (outputs, changelogs,
offsets). The workload is specified in benchmarks/README.md.

Runs until SIGTERM/SIGINT, then prints one line:
    QUIX_RESOURCES peak_rss_mib=<MiB> cpu_s=<user+system seconds>
Throughput and latency are measured outside, by `statement-driver` (benchmarks/driver).
"""
import argparse
import hashlib
import resource
import signal
import sys
import time

from quixstreams import Application
from quixstreams.models.topics.manager import TopicManager

import embedded_broker_admin

STATUSES = [
    "close-initiated",
    "waiting-for-approval",
    "approved",
    "direct-debit-initiated",
    "payment-initiated",
    "payment-received-initiated",
    "payment-received",
    "closed",
]


def next_status(statement):
    """The worker of the statement's status: its next status and actor, or None when terminal."""
    status = statement["status"]
    if status == "close-initiated":
        return "waiting-for-approval", "system"
    if status == "waiting-for-approval":
        return "approved", "auto-approval"  # benchmark mode: approval is automatic
    if status == "approved":
        if statement["paymentMethod"] == "direct-debit":
            return "direct-debit-initiated", "system"
        return "payment-initiated", "system"
    if status in ("direct-debit-initiated", "payment-initiated"):
        return "payment-received-initiated", "system"
    if status == "payment-received-initiated":
        return "payment-received", "system"
    if status == "payment-received":
        return "closed", "system"
    return None  # closed: terminal


def step(record, state):
    """Loads the statement, rejects stale records, runs the worker and saves the next step."""
    statement_id = record["id"]
    stored = state.get("statement:" + statement_id)
    if stored is None:
        if record["status"] != "close-initiated":
            return {"rejected": True, "reason": "unknown statement", "record": record}
        stored = dict(record)
    elif record["status"] != stored["status"]:
        return {"rejected": True, "reason": "stale: stored status is " + stored["status"], "record": record}
    transition = next_status(stored)
    if transition is None:
        return None
    status, actor = transition
    now = int(time.time() * 1000)
    stored["status"] = status
    stored["updatedAt"] = now
    stored["updatedBy"] = actor
    state.set("statement:" + statement_id, stored)
    history = state.get("history:" + statement_id) or []
    history.append({"status": status, "at": now, "actor": actor})
    state.set("history:" + statement_id, history)
    return stored


def shorten_long_stream_ids():
    """Names the state of a stream merged from many topics by a hash of their names.

    Quix names a merged stream's state (and its changelog topic) after all its topics joined
    with "--": for the eight status topics that is longer than Kafka allows a topic name
    (249 characters), so Quix refuses to start. The hash keeps the id stable across runs.
    """
    original = TopicManager.stream_id_from_topics

    def stream_id_from_topics(self, topics):
        stream_id = original(self, topics)
        if len(stream_id) <= 100:
            return stream_id
        return "merged-" + hashlib.sha1(stream_id.encode()).hexdigest()[:16]

    TopicManager.stream_id_from_topics = stream_id_from_topics


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap-servers", required=True)
    parser.add_argument("--guarantee", choices=["exactly-once", "at-least-once"], default="exactly-once")
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--consumer-group", default="quix-statements")
    parser.add_argument("--commit-interval", type=float, default=0.1,
                        help="seconds between commits (Flowstate's default is 0.1; Quix's own default is 5)")
    parser.add_argument("--linger-ms", type=int, default=5,
                        help="the producer's linger.ms (the comparison passes the same value to every system)")
    parser.add_argument("--embedded-broker", action="store_true",
                        help="the broker is `flowstate dev-broker`: manage topics through it (see embedded_broker_admin.py)")
    args = parser.parse_args()
    if args.embedded_broker:
        embedded_broker_admin.install()
    shorten_long_stream_ids()

    app = Application(
        broker_address=args.bootstrap_servers,
        consumer_group=args.consumer_group,
        processing_guarantee=args.guarantee,
        commit_interval=args.commit_interval,
        auto_offset_reset="earliest",
        state_dir=args.state_dir,
        use_changelog_topics=True,
        auto_create_topics=True,
        loglevel="WARNING",
        # As for every system in the comparison: a large local queue (the mock pauses fetching when
        # it fills) and short fetch waits (each of the 7 hops of a statement waits for a fetch).
        consumer_extra_config={"queued.min.messages": 1000000, "fetch.wait.max.ms": 10},
        # murmur2 as Kafka (and Flowstate and the load driver): records stay on the partition of their key.
        producer_extra_config={"linger.ms": args.linger_ms, "compression.type": "lz4", "partitioner": "murmur2_random"},
    )
    topics = {status: app.topic("statement." + status, key_deserializer="str", value_deserializer="json",
                                key_serializer="str", value_serializer="json") for status in STATUSES}
    rejections = app.topic("statement.rejections", key_serializer="str", value_serializer="json")

    frames = [app.dataframe(topics[status]) for status in STATUSES]
    sdf = frames[0]
    for frame in frames[1:]:
        sdf = sdf.concat(frame)
    sdf = sdf.apply(step, stateful=True).filter(lambda value: value is not None)
    sdf.to_topic(lambda value, key, timestamp, headers:
                 rejections if value.get("rejected") else topics[value["status"]])

    def stop(signum, frame):
        app.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("QUIX_STARTED", flush=True)
    app.run()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"QUIX_RESOURCES peak_rss_mib={usage.ru_maxrss / 1024:.1f} cpu_s={usage.ru_utime + usage.ru_stime:.2f}",
          flush=True)


if __name__ == "__main__":
    sys.exit(main())
