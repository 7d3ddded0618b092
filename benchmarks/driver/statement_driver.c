/*
 * statement-driver: loads the statement lifecycle workload and measures its completion.
 *
 * Shared by every system in benchmarks/run-comparison.sh (Flowstate, Quix Streams, the
 * librdkafka passthrough), so all are measured the same way:
 *
 *  1. Warm-up: one statement per partition of statement.close-initiated; waits until each
 *     reaches statement.closed (the processor is running and owns its partitions).
 *  2. Snapshots the CPU time of the processor (--pid) and of the broker (--broker-pid).
 *  3. Produces N statements to statement.close-initiated (organisations round-robin, half
 *     "direct-debit", half "manual"; record timestamp = produce time), keyed by organisation
 *     id with the murmur2 partitioner (Kafka's default, as Flowstate and the peers use).
 *  4. A reader thread (read_committed, assigned to statement.closed from its end offsets)
 *     waits for the N statements' closed records.
 *
 * Events are transitions: 7 per statement (8 consumed records, 7 produced). Throughput =
 * 7N / (last closed record read - first input produced). Latency per statement = the moment
 * the reader receives its closed record - its input's produce time (one clock, this process).
 * Prints one line:
 *   RESULT events=.. seconds=.. events_per_s=.. p50_ms=.. p99_ms=.. peak_rss_mib=.. cpu_s=..
 *          cpu_s_per_million_events=.. broker_cpu_s=.. rejections=.. duplicates=..
 */
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PARTITIONS_MAX 64

static const char *bootstrap = NULL;
static long statements = 20000;
static int organisations = 500;
static int pid = 0, broker_pid = 0;
static double timeout_s = 600;

static int64_t *input_us;    /* produce time per statement */
static int64_t *closed_us;   /* receive time of its closed record, 0 until seen */
static volatile long closed_count = 0, duplicates = 0, warmups_closed = 0;
static volatile int reader_stop = 0;
static int partitions = 4;

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void die(const char *what, const char *detail) {
    fprintf(stderr, "statement-driver: %s: %s\n", what, detail);
    exit(1);
}

/* CPU seconds (user + system) of a process, from /proc/PID/stat; -1 if unknown. */
static double cpu_seconds(int process) {
    if (process <= 0) return -1;
    char path[64], buffer[4096];
    snprintf(path, sizeof path, "/proc/%d/stat", process);
    FILE *file = fopen(path, "r");
    if (!file) return -1;
    size_t n = fread(buffer, 1, sizeof buffer - 1, file);
    fclose(file);
    buffer[n] = 0;
    char *p = strrchr(buffer, ')');
    if (!p) return -1;
    unsigned long utime = 0, stime = 0;
    /* fields after ')': state(3) ... utime(14) stime(15) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2) return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* Peak resident set (VmHWM) of a process in MiB; -1 if unknown. */
static double peak_rss_mib(int process) {
    if (process <= 0) return -1;
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", process);
    FILE *file = fopen(path, "r");
    if (!file) return -1;
    double result = -1;
    while (fgets(line, sizeof line, file))
        if (strncmp(line, "VmHWM:", 6) == 0) result = atof(line + 6) / 1024.0;
    fclose(file);
    return result;
}

/* The statement id in a JSON value ("id": "stmt-000042"), written to out; 0 if absent. */
static int statement_id(const char *value, size_t length, char *out, size_t capacity) {
    const char *end = value + length;
    for (const char *p = value; p + 4 < end; p++) {
        if (memcmp(p, "\"id\"", 4) != 0) continue;
        p += 4;
        while (p < end && (*p == ' ' || *p == ':')) p++;
        if (p >= end || *p != '"') return 0;
        p++;
        size_t n = 0;
        while (p < end && *p != '"' && n + 1 < capacity) out[n++] = *p++;
        out[n] = 0;
        return 1;
    }
    return 0;
}

static rd_kafka_t *make_consumer(void) {
    char error[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, error, sizeof error) ||
        rd_kafka_conf_set(conf, "group.id", "statement-driver", error, sizeof error) ||
        rd_kafka_conf_set(conf, "isolation.level", "read_committed", error, sizeof error) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", error, sizeof error) ||
        rd_kafka_conf_set(conf, "queued.min.messages", "1000000", error, sizeof error) ||
        rd_kafka_conf_set(conf, "fetch.wait.max.ms", "10", error, sizeof error))
        die("consumer configuration", error);
    rd_kafka_t *consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
    if (!consumer) die("consumer", error);
    return consumer;
}

static int64_t high_watermark_sum(rd_kafka_t *client, const char *topic) {
    int64_t sum = 0;
    for (int p = 0; p < partitions; p++) {
        int64_t low = 0, high = 0;
        if (rd_kafka_query_watermark_offsets(client, topic, p, &low, &high, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR)
            sum += high;
    }
    return sum;
}

static void *read_closed(void *argument) {
    rd_kafka_t *consumer = argument;
    while (!reader_stop) {
        rd_kafka_message_t *message = rd_kafka_consumer_poll(consumer, 50);
        if (!message) continue;
        if (message->err) {
            if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "statement-driver: reader: %s\n", rd_kafka_message_errstr(message));
            rd_kafka_message_destroy(message);
            continue;
        }
        int64_t received = now_us();
        char id[64];
        if (statement_id(message->payload, message->len, id, sizeof id)) {
            if (strncmp(id, "stmt-warmup", 11) == 0) {
                __sync_fetch_and_add(&warmups_closed, 1);
            } else if (strncmp(id, "stmt-", 5) == 0) {
                long index = atol(id + 5);
                if (index >= 0 && index < statements) {
                    if (closed_us[index] == 0) {
                        closed_us[index] = received;
                        __sync_fetch_and_add(&closed_count, 1);
                    } else {
                        __sync_fetch_and_add(&duplicates, 1);
                    }
                }
            }
        }
        rd_kafka_message_destroy(message);
    }
    return NULL;
}

/* Produces a close-initiated statement for organisation `organisation`; records its produce time when index >= 0. */
static void produce_statement(rd_kafka_t *producer, const char *id, long organisation, long index) {
    char key[32], value[512];
    snprintf(key, sizeof key, "org-%03ld", organisation % organisations);
    int64_t produced = now_us();
    int length = snprintf(value, sizeof value,
                          "{\"id\":\"%s\",\"organisationId\":\"%s\",\"status\":\"close-initiated\",\"amount\":%ld,"
                          "\"currency\":\"EUR\",\"paymentMethod\":\"%s\",\"updatedAt\":%lld,\"updatedBy\":\"system\"}",
                          id, key, 1000 + (organisation * 7919) % 100000, (index < 0 ? organisation : index) % 2 == 0 ? "direct-debit" : "manual",
                          (long long)(produced / 1000));
    if (index >= 0) input_us[index] = produced;
    rd_kafka_resp_err_t err;
    while ((err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC("statement.close-initiated"),
                                    RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(value, (size_t)length),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_TIMESTAMP(produced / 1000), RD_KAFKA_V_END)) ==
           RD_KAFKA_RESP_ERR__QUEUE_FULL)
        rd_kafka_poll(producer, 10);
    if (err) die("produce", rd_kafka_err2str(err));
    rd_kafka_poll(producer, 0);
}

static int compare(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--bootstrap-servers")) bootstrap = argv[i + 1];
        else if (!strcmp(argv[i], "--statements")) statements = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--organisations")) organisations = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--partitions")) partitions = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--pid")) pid = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--broker-pid")) broker_pid = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--timeout")) timeout_s = atof(argv[i + 1]);
        else die("unknown option", argv[i]);
    }
    if (!bootstrap || statements < 1 || organisations < 1 || partitions < 1 || partitions > PARTITIONS_MAX) {
        fprintf(stderr, "usage: statement-driver --bootstrap-servers HOST:PORT [--statements 20000] "
                        "[--organisations 500] [--partitions 4] [--pid PROCESSOR_PID] [--broker-pid PID] [--timeout 600]\n");
        return 2;
    }
    input_us = calloc((size_t)statements, sizeof *input_us);
    closed_us = calloc((size_t)statements, sizeof *closed_us);

    char error[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, error, sizeof error) ||
        rd_kafka_conf_set(conf, "partitioner", "murmur2_random", error, sizeof error) ||
        rd_kafka_conf_set(conf, "enable.idempotence", "true", error, sizeof error) ||
        rd_kafka_conf_set(conf, "compression.type", "lz4", error, sizeof error) ||
        rd_kafka_conf_set(conf, "linger.ms", "5", error, sizeof error))
        die("producer configuration", error);
    rd_kafka_t *producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (!producer) die("producer", error);

    rd_kafka_t *consumer = make_consumer();
    rd_kafka_topic_partition_list_t *assignment = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++) {
        int64_t low = 0, high = 0;
        if (rd_kafka_query_watermark_offsets(consumer, "statement.closed", p, &low, &high, 10000))
            die("watermarks", "statement.closed does not exist");
        rd_kafka_topic_partition_list_add(assignment, "statement.closed", p)->offset = high;
    }
    if (rd_kafka_assign(consumer, assignment)) die("assign", "statement.closed");
    rd_kafka_topic_partition_list_destroy(assignment);
    pthread_t reader;
    pthread_create(&reader, NULL, read_closed, consumer);

    /* 1. Warm-up: one statement per organisation of the first `partitions * 4`, so every partition gets one. */
    int warmups = organisations < partitions * 4 ? organisations : partitions * 4;
    for (int w = 0; w < warmups; w++) {
        char id[32];
        snprintf(id, sizeof id, "stmt-warmup-%d", w);
        produce_statement(producer, id, w, -1);
    }
    rd_kafka_flush(producer, 10000);
    int64_t warmup_deadline = now_us() + (int64_t)(timeout_s * 1e6);
    while (warmups_closed < warmups && now_us() < warmup_deadline) usleep(10000);
    if (warmups_closed < warmups) die("warm-up", "the processor did not close the warm-up statements in time");

    /* 2. */
    double cpu_before = cpu_seconds(pid), broker_before = cpu_seconds(broker_pid);
    int64_t rejections_before = high_watermark_sum(consumer, "statement.rejections");

    /* 3. */
    int64_t start = now_us();
    for (long i = 0; i < statements; i++) {
        char id[32];
        snprintf(id, sizeof id, "stmt-%06ld", i);
        produce_statement(producer, id, i, i);
    }
    rd_kafka_flush(producer, 60000);

    /* 4. */
    int64_t deadline = start + (int64_t)(timeout_s * 1e6);
    while (closed_count < statements && now_us() < deadline) usleep(5000);
    double cpu_after = cpu_seconds(pid), broker_after = cpu_seconds(broker_pid);
    reader_stop = 1;
    pthread_join(reader, NULL);
    if (closed_count < statements) {
        fprintf(stderr, "statement-driver: only %ld of %ld statements closed within %.0f s\n", closed_count, statements,
                timeout_s);
        return 1;
    }
    int64_t last = 0;
    int64_t *latencies = malloc((size_t)statements * sizeof *latencies);
    for (long i = 0; i < statements; i++) {
        if (closed_us[i] > last) last = closed_us[i];
        latencies[i] = closed_us[i] - input_us[i];
    }
    qsort(latencies, (size_t)statements, sizeof *latencies, compare);
    int64_t rejections = high_watermark_sum(consumer, "statement.rejections") - rejections_before;
    double seconds = (double)(last - start) / 1e6;
    double events = 7.0 * (double)statements;
    double cpu = cpu_before >= 0 && cpu_after >= 0 ? cpu_after - cpu_before : -1;
    printf("RESULT events=%.0f seconds=%.3f events_per_s=%.0f p50_ms=%.1f p99_ms=%.1f peak_rss_mib=%.1f cpu_s=%.2f "
           "cpu_s_per_million_events=%.2f broker_cpu_s=%.2f rejections=%lld duplicates=%ld\n",
           events, seconds, events / seconds, (double)latencies[statements / 2] / 1000.0,
           (double)latencies[(long)((double)statements * 0.99)] / 1000.0, peak_rss_mib(pid), cpu,
           cpu >= 0 ? cpu / (events / 1e6) : -1, broker_before >= 0 ? broker_after - broker_before : -1,
           (long long)rejections, duplicates);
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    rd_kafka_destroy(producer);
    return 0;
}
