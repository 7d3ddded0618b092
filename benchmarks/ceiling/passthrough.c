/*
 * passthrough: the ceiling for the statement workload on a broker — a plain librdkafka
 * consume → produce loop with no state and no JSON parsing.
 *
 * Consumes the eight statement.<status> topics and forwards each record unchanged (key,
 * value) to the topic of the next status, chosen from the topic it came from (after
 * "approved": "direct-debit-initiated" when the value mentions direct-debit, else
 * "payment-initiated"); statement.closed records end there. So it drives a statement
 * through the same 8 consumed / 7 produced records as the real processors, and
 * statement-driver measures it the same way.
 *
 *   --guarantee exactly-once   transactional producer; every commit interval:
 *                              send_offsets_to_transaction + commit_transaction (EOS v2)
 *   --guarantee at-least-once  idempotent producer; every commit interval: flush, then
 *                              commit the consumer's offsets
 *
 * Runs until SIGTERM/SIGINT, then prints: PASSTHROUGH_RESOURCES records=.. cpu_s=..
 */
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static volatile sig_atomic_t running = 1;
static void stop(int signal) { (void)signal; running = 0; }

static const char *statuses[] = {
    "statement.close-initiated", "statement.waiting-for-approval", "statement.approved",
    "statement.direct-debit-initiated", "statement.payment-initiated", "statement.payment-received-initiated",
    "statement.payment-received", "statement.closed",
};

/* The topic a record read from `topic` goes to next, or NULL when the statement is closed. */
static const char *next_topic(const char *topic, const void *value, size_t length) {
    if (!strcmp(topic, statuses[0])) return statuses[1];
    if (!strcmp(topic, statuses[1])) return statuses[2];
    if (!strcmp(topic, statuses[2]))
        return value && memmem(value, length, "direct-debit", 12) ? statuses[3] : statuses[4];
    if (!strcmp(topic, statuses[3]) || !strcmp(topic, statuses[4])) return statuses[5];
    if (!strcmp(topic, statuses[5])) return statuses[6];
    if (!strcmp(topic, statuses[6])) return statuses[7];
    return NULL;
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *what, const char *detail) {
    fprintf(stderr, "passthrough: %s: %s\n", what, detail);
    exit(1);
}

static void check_error(rd_kafka_error_t *error, const char *what) {
    if (!error) return;
    fprintf(stderr, "passthrough: %s: %s\n", what, rd_kafka_error_string(error));
    exit(1);
}

static void set(rd_kafka_conf_t *conf, const char *name, const char *value) {
    char error[512];
    if (rd_kafka_conf_set(conf, name, value, error, sizeof error)) die(name, error);
}

int main(int argc, char **argv) {
    const char *bootstrap = NULL, *guarantee = "exactly-once";
    int commit_interval_ms = 100;
    const char *linger_ms = "5";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--bootstrap-servers")) bootstrap = argv[i + 1];
        else if (!strcmp(argv[i], "--guarantee")) guarantee = argv[i + 1];
        else if (!strcmp(argv[i], "--commit-interval-ms")) commit_interval_ms = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--linger-ms")) linger_ms = argv[i + 1];
        else die("unknown option", argv[i]);
    }
    int exactly_once = !strcmp(guarantee, "exactly-once");
    if (!bootstrap || (!exactly_once && strcmp(guarantee, "at-least-once")) || commit_interval_ms < 1) {
        fprintf(stderr, "usage: passthrough --bootstrap-servers HOST:PORT [--guarantee exactly-once|at-least-once] "
                        "[--commit-interval-ms 100] [--linger-ms 5]\n");
        return 2;
    }
    signal(SIGTERM, stop);
    signal(SIGINT, stop);
    char error[512];

    rd_kafka_conf_t *consumer_conf = rd_kafka_conf_new();
    set(consumer_conf, "bootstrap.servers", bootstrap);
    set(consumer_conf, "group.id", "passthrough");
    set(consumer_conf, "auto.offset.reset", "earliest");
    set(consumer_conf, "enable.auto.commit", "false");
    set(consumer_conf, "isolation.level", "read_committed");
    set(consumer_conf, "queued.min.messages", "1000000");
    set(consumer_conf, "fetch.wait.max.ms", "10");
    rd_kafka_t *consumer = rd_kafka_new(RD_KAFKA_CONSUMER, consumer_conf, error, sizeof error);
    if (!consumer) die("consumer", error);
    rd_kafka_poll_set_consumer(consumer);

    rd_kafka_conf_t *producer_conf = rd_kafka_conf_new();
    set(producer_conf, "bootstrap.servers", bootstrap);
    set(producer_conf, "partitioner", "murmur2_random");
    set(producer_conf, "compression.type", "lz4");
    set(producer_conf, "linger.ms", linger_ms);
    set(producer_conf, "enable.idempotence", "true");
    if (exactly_once) set(producer_conf, "transactional.id", "passthrough-0");
    rd_kafka_t *producer = rd_kafka_new(RD_KAFKA_PRODUCER, producer_conf, error, sizeof error);
    if (!producer) die("producer", error);
    if (exactly_once) {
        check_error(rd_kafka_init_transactions(producer, 30000), "init_transactions");
        check_error(rd_kafka_begin_transaction(producer), "begin_transaction");
    }

    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(8);
    for (int i = 0; i < 8; i++) rd_kafka_topic_partition_list_add(topics, statuses[i], RD_KAFKA_PARTITION_UA);
    if (rd_kafka_subscribe(consumer, topics)) die("subscribe", "statement topics");
    rd_kafka_topic_partition_list_destroy(topics);

    long records = 0, pending = 0;
    int64_t last_commit = now_ms();
    while (running) {
        rd_kafka_message_t *message = rd_kafka_consumer_poll(consumer, 5);
        if (message) {
            if (message->err) {
                if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                    fprintf(stderr, "passthrough: consume: %s\n", rd_kafka_message_errstr(message));
            } else {
                records++;
                pending++;
                const char *next = next_topic(rd_kafka_topic_name(message->rkt), message->payload, message->len);
                if (next) {
                    rd_kafka_resp_err_t err;
                    while ((err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(next),
                                                    RD_KAFKA_V_KEY(message->key, message->key_len),
                                                    RD_KAFKA_V_VALUE(message->payload, message->len),
                                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) ==
                           RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        rd_kafka_poll(producer, 10);
                    if (err) die("produce", rd_kafka_err2str(err));
                }
            }
            rd_kafka_message_destroy(message);
        }
        rd_kafka_poll(producer, 0);
        if (pending == 0 || now_ms() - last_commit < commit_interval_ms) continue;
        rd_kafka_topic_partition_list_t *positions = NULL;
        if (rd_kafka_assignment(consumer, &positions) == RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_position(consumer, positions);
        if (exactly_once) {
            rd_kafka_consumer_group_metadata_t *group = rd_kafka_consumer_group_metadata(consumer);
            check_error(rd_kafka_send_offsets_to_transaction(producer, positions, group, 30000),
                        "send_offsets_to_transaction");
            rd_kafka_consumer_group_metadata_destroy(group);
            check_error(rd_kafka_commit_transaction(producer, 30000), "commit_transaction");
            check_error(rd_kafka_begin_transaction(producer), "begin_transaction");
        } else {
            rd_kafka_flush(producer, 30000);
            rd_kafka_commit(consumer, positions, 1);
        }
        if (positions) rd_kafka_topic_partition_list_destroy(positions);
        pending = 0;
        last_commit = now_ms();
    }
    if (exactly_once) rd_kafka_abort_transaction(producer, 10000);
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    rd_kafka_flush(producer, 10000);
    rd_kafka_destroy(producer);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    printf("PASSTHROUGH_RESOURCES records=%ld cpu_s=%.2f\n", records,
           (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
               (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6);
    return 0;
}
