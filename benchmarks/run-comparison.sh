#!/usr/bin/env bash
# The statement lifecycle comparison: Flowstate, its ceiling (a plain librdkafka
# consume→produce passthrough) and its peer (Quix Streams), each run RUNS times against a
# fresh `flowstate dev-broker` in its own process, measured by the same statement-driver.
# Prints a table of medians with ratios (Flowstate ÷ peer, Flowstate ÷ ceiling).
#
#   benchmarks/run-comparison.sh                    # 20,000 statements, 3 runs each
#   STATEMENTS=2000 RUNS=1 SYSTEMS="passthrough quix" benchmarks/run-comparison.sh
#
# Environment: STATEMENTS (20000), ORGANISATIONS (500), RUNS (3), PARTITIONS (4),
# SYSTEMS ("flowstate passthrough quix"), COMMIT_INTERVAL_MS (100, every system),
# RESULTS_FILE (raw RESULT lines; default under a temporary directory); Flowstate rows only:
# FLOWSTATE_GUARANTEES ("exactly-once at-least-once"), FLOWSTATE_THREADS ("1 2"),
# FLOWSTATE_IN_PROCESS (yes; no skips the in-process rows), FLOWSTATE_STEP_LATENCIES ("0": milliseconds
# every automatic step awaits, off the stream thread, a stand-in for a remote call; "0 20 200"
# gives the I/O-bound rows).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bench="$root/benchmarks"
statements="${STATEMENTS:-20000}"
organisations="${ORGANISATIONS:-500}"
runs="${RUNS:-3}"
partitions="${PARTITIONS:-4}"
systems="${SYSTEMS:-flowstate passthrough quix}"
commit_ms="${COMMIT_INTERVAL_MS:-100}"
flowstate_guarantees="${FLOWSTATE_GUARANTEES:-exactly-once at-least-once}"
flowstate_threads="${FLOWSTATE_THREADS:-1 2}"
flowstate_in_process="${FLOWSTATE_IN_PROCESS:-yes}"
work="$(mktemp -d /tmp/flowstate-comparison.XXXXXX)"
results="${RESULTS_FILE:-$work/results.tsv}"
: > "$results"

log() { printf '%s\n' "$*" >&2; }

# --- Build ---------------------------------------------------------------------------------
log "== building (release)"
(cd "$root" && swift build -c release --product flowstate >&2 && swift build -c release --product flowstate-bench >&2)
flowstate="$root/.build/release/flowstate"
flowstate_bench="$root/.build/release/flowstate-bench"
"$bench/build-native.sh" >&2
driver="$bench/.build/statement-driver"
passthrough="$bench/.build/passthrough"
if [[ " $systems " == *" quix "* ]]; then "$bench/peers/quix/setup.sh" >&2 2>/dev/null; fi
python="$bench/.venv/bin/python"

# --- One run: fresh broker, processor, driver ----------------------------------------------
broker_pid=""
processor_pid=""

stop_process() {  # PID: SIGTERM, wait up to 20 s, then SIGKILL — only processes this script started
    local pid="$1"
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() { stop_process "$processor_pid"; stop_process "$broker_pid"; }
trap cleanup EXIT

start_broker() {  # sets broker_pid and bootstrap
    local topics=() status
    for status in close-initiated waiting-for-approval approved direct-debit-initiated payment-initiated \
                  payment-received-initiated payment-received closed rejections; do
        topics+=(--topic "statement.$status:$partitions")
    done
    "$flowstate" dev-broker "${topics[@]}" > "$work/broker.out" 2> "$work/broker.err" &
    broker_pid=$!
    for _ in $(seq 1 300); do
        if grep -q '^bootstrap.servers=' "$work/broker.out" 2>/dev/null; then
            bootstrap="$(grep '^bootstrap.servers=' "$work/broker.out" | head -1 | cut -d= -f2)"
            return 0
        fi
        sleep 0.1
    done
    log "the dev-broker did not start: $(cat "$work/broker.err")"
    exit 1
}

# run_one LABEL GUARANTEE THREADS COMMAND... — COMMAND may contain @BOOTSTRAP@ and @STATE@.
run_one() {
    local label="$1" guarantee="$2" threads="$3"
    shift 3
    local run
    for run in $(seq 1 "$runs"); do
        start_broker
        local state="$work/state-$RANDOM"
        mkdir -p "$state"
        local command=()
        local part
        for part in "$@"; do part="${part//@BOOTSTRAP@/$bootstrap}"; command+=("${part//@STATE@/$state}"); done
        "${command[@]}" > "$work/processor.out" 2> "$work/processor.err" &
        processor_pid=$!
        local line
        if line="$("$driver" --bootstrap-servers "$bootstrap" --statements "$statements" \
                    --organisations "$organisations" --partitions "$partitions" \
                    --pid "$processor_pid" --broker-pid "$broker_pid" --timeout 900 | grep '^RESULT')"; then
            printf '%s\t%s\t%s\t%s\n' "$label" "$guarantee" "$threads" "$line" >> "$results"
            log "   $label $guarantee threads=$threads run $run: $line"
        else
            log "   $label $guarantee threads=$threads run $run: FAILED; processor stderr:"
            tail -20 "$work/processor.err" >&2
            printf '%s\t%s\t%s\tFAILED\n' "$label" "$guarantee" "$threads" >> "$results"
        fi
        stop_process "$processor_pid"
        processor_pid=""
        stop_process "$broker_pid"
        broker_pid=""
        rm -rf "$state"
    done
}

# --- Systems --------------------------------------------------------------------------------
flowstate_available=no
if "$flowstate_bench" --help 2>/dev/null | grep -qE '^[[:space:]]+statement([[:space:]]|$)'; then flowstate_available=yes; fi

for system in $systems; do
    case "$system" in
    flowstate)
        # ---- FLOWSTATE ROWS ---------------------------------------------------------------
        # `flowstate-bench statement` is added with the StatementLifecycle topology. Contract:
        #   --mode e2e: runs the topology as a processor against --bootstrap-servers until
        #     SIGTERM (statement-driver loads and measures it like the other systems);
        #   --mode in-process: no broker; drives N statements through the topology in-process
        #     (JSON at the topic boundaries) and prints its own `RESULT events=.. seconds=..
        #     events_per_s=.. p50_ms=.. p99_ms=.. peak_rss_mib=.. cpu_s=.. cpu_s_per_million_events=..` line.
        if [ "$flowstate_available" = yes ]; then
            for latency in ${FLOWSTATE_STEP_LATENCIES:-0}; do
                label="Flowstate"
                [ "$latency" = 0 ] || label="Flowstate, $latency ms steps"
                for guarantee in $flowstate_guarantees; do
                    for threads in $flowstate_threads; do
                        log "== $label end-to-end, $guarantee, $threads thread(s)"
                        run_one "$label" "$guarantee" "$threads" "$flowstate_bench" statement --mode e2e \
                            --guarantee "$guarantee" --threads "$threads" --bootstrap-servers @BOOTSTRAP@ \
                            --state-dir @STATE@ --commit-interval-ms "$commit_ms" --step-latency "$latency"
                    done
                done
            done
            log "== Flowstate in-process"
            for run in $(seq 1 "$runs"); do
                [ "$flowstate_in_process" = yes ] || break
                line="$("$flowstate_bench" statement --mode in-process --statements "$statements" \
                        --organisations "$organisations" | grep '^RESULT')" || line=FAILED
                printf '%s\t%s\t%s\t%s\n' "Flowstate in-process" "-" "1" "$line" >> "$results"
                log "   in-process run $run: $line"
            done
        else
            log "== Flowstate: \`flowstate-bench statement\` is not built yet (StatementLifecycle topology pending)"
            for guarantee in exactly-once at-least-once; do
                for threads in 1 2; do printf '%s\t%s\t%s\tUNAVAILABLE\n' "Flowstate" "$guarantee" "$threads" >> "$results"; done
            done
            printf '%s\t%s\t%s\tUNAVAILABLE\n' "Flowstate in-process" "-" "1" >> "$results"
        fi
        # ---- END FLOWSTATE ROWS -----------------------------------------------------------
        ;;
    passthrough)
        for guarantee in exactly-once at-least-once; do
            log "== ceiling: librdkafka passthrough, $guarantee"
            run_one "librdkafka passthrough (C)" "$guarantee" 1 "$passthrough" --bootstrap-servers @BOOTSTRAP@ \
                --guarantee "$guarantee" --commit-interval-ms "$commit_ms"
        done
        ;;
    quix)
        for guarantee in exactly-once at-least-once; do
            log "== peer: Quix Streams, $guarantee"
            run_one "Quix Streams" "$guarantee" 1 "$python" -W ignore "$bench/peers/quix/statement_workload.py" \
                --bootstrap-servers @BOOTSTRAP@ --state-dir @STATE@ --guarantee "$guarantee" --embedded-broker \
                --commit-interval "$(awk "BEGIN { print $commit_ms / 1000 }")"
        done
        ;;
    *) log "unknown system '$system' (flowstate, passthrough, quix)"; exit 2 ;;
    esac
done

# --- Table ----------------------------------------------------------------------------------
log "== raw results: $results"
python3 "$bench/comparison_table.py" "$results" "$statements" "$runs"
