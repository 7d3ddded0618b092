"""Lets Quix Streams manage topics on `flowstate dev-broker` (librdkafka's mock cluster).

The mock answers neither DescribeConfigs ("Failed while waiting for controller") nor
CreateTopics. `install()` replaces two methods of Quix's `TopicAdmin`:

- `inspect_topics` reads partition counts from metadata and reports Kafka's default retention
  (`retention.ms` 7 days, `retention.bytes` unlimited) as the topics' configs (the mock keeps
  none; Quix derives its changelog topics' configs from them);
- `create_topics` asks the dev-broker to create the topics, by producing `NAME` →
  `PARTITIONS` to its request topic `__flowstate-embedded-topic-requests` (the same channel
  Flowstate's own `KafkaAdmin` uses), then waits until they appear in the metadata.

Only the admin path changes; consuming, producing, transactions and state are Quix's own.
"""
import time

from confluent_kafka import Producer
from quixstreams.models.topics.admin import TopicAdmin
from quixstreams.models.topics.topic import TopicConfig

REQUEST_TOPIC = "__flowstate-embedded-topic-requests"
KAFKA_DEFAULT_RETENTION = {"retention.ms": "604800000", "retention.bytes": "-1"}


def _inspect_topics(self, topic_names, timeout=30):
    cluster_topics = self.list_topics(timeout=timeout)
    return {
        name: TopicConfig(
            num_partitions=len(cluster_topics[name].partitions),
            replication_factor=len(cluster_topics[name].partitions[0].replicas),
            extra_config=dict(KAFKA_DEFAULT_RETENTION),
        )
        if name in cluster_topics
        else None
        for name in topic_names
    }


def _create_topics(self, topics, timeout=30, finalize_timeout=60):
    existing = self.list_topics(timeout=timeout)
    wanted = [topic for topic in topics if topic.name not in existing]
    if not wanted:
        return
    if REQUEST_TOPIC not in existing:
        raise RuntimeError(f"cannot create {[t.name for t in wanted]}: the broker has no {REQUEST_TOPIC} "
                           "(is it `flowstate dev-broker`?)")
    producer = Producer({"bootstrap.servers": self._config["bootstrap.servers"]})
    for topic in wanted:
        partitions = topic.create_config.num_partitions if topic.create_config else 1
        producer.produce(REQUEST_TOPIC, key=topic.name.encode(), value=str(partitions).encode(), partition=0)
    producer.flush(timeout)
    deadline = time.monotonic() + finalize_timeout
    while time.monotonic() < deadline:
        present = self.list_topics(timeout=timeout)
        if all(topic.name in present for topic in wanted):
            return
        time.sleep(0.05)
    raise TimeoutError(f"the dev-broker did not create {[t.name for t in wanted]} in {finalize_timeout} s")


def install():
    """Patches Quix's TopicAdmin for the embedded broker."""
    TopicAdmin.inspect_topics = _inspect_topics
    TopicAdmin.create_topics = _create_topics
