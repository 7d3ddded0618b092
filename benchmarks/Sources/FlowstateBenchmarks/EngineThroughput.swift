import ArgumentParser
import Flowstate
import FlowstateKafka
import Foundation
import WordCount

/// `flowstate-bench engine`: the shape of a state-machine step (read a key's state, update it,
/// emit a record) in-process on RocksDB, and end-to-end on the embedded cluster.
struct EngineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "engine",
                                                    abstract: "State-machine-step throughput, in-process and end-to-end.")

    @Option(help: "Records per run.") var records: Int = 50_000
    @Option(help: "Distinct keys.") var keys: Int = 1_000
    @Option(help: "Partitions of the input and output topics.") var partitions: Int = 4
    @Option(help: "Runs per figure; the median is reported.") var runs: Int = 3

    func run() async throws {
        print("| run | records | records/s (median of \(runs)) | p50 ms | p99 ms | peak RSS MiB |")
        print("|---|---:|---:|---:|---:|---:|")
        var inProcess: [Double] = []
        for _ in 0..<runs { inProcess.append(try inProcessRun()) }
        print("| in-process (RocksDB, commit per record) | \(records) | \(Int(median(inProcess))) | – | – | \(peakRSS()) |")
        for guarantee in [FlowstateConfig.ProcessingGuarantee.exactlyOnce, .atLeastOnce] {
            var results: [(rate: Double, p50: Double, p99: Double)] = []
            for _ in 0..<runs { results.append(try await endToEnd(guarantee)) }
            let sorted = results.sorted { $0.rate < $1.rate }
            let middle = sorted[sorted.count / 2]
            print("| end-to-end \(guarantee.rawValue), 1 thread | \(records) | \(Int(middle.rate)) | "
                  + String(format: "%.0f | %.0f", middle.p50, middle.p99) + " | \(peakRSS()) |")
        }
    }

    private func inProcessRun() throws -> Double {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runner = try TopologyRunner(topology: WordCount.topology(), applicationID: "bench", stateDirectory: directory,
                                        partitions: ["words": partitions, "word-counts": partitions], startTime: 0,
                                        deserializationErrorHandling: .deadLetter)
        let keyBytes = (0..<keys).map { Array("key-\($0)".utf8) }
        let value = Array("payload".utf8)
        let start = ContinuousClock.now
        for index in 0..<records {
            try runner.pipe(topic: "words", partition: nil, key: keyBytes[index % keys], value: value, headers: [], timestamp: 0)
        }
        let seconds = (ContinuousClock.now - start).seconds
        runner.close()
        return Double(records) / seconds
    }

    private func endToEnd(_ guarantee: FlowstateConfig.ProcessingGuarantee) async throws -> (rate: Double, p50: Double, p99: Double) {
        let cluster = try EmbeddedCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("words", partitions: partitions)
        try cluster.createTopic("word-counts", partitions: partitions)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var config = FlowstateConfig(applicationID: "bench-\(UUID().uuidString.prefix(6))", bootstrapServers: [cluster.bootstrapServers])
        config.stateDirectory = directory
        config.processingGuarantee = guarantee
        let app = FlowstateApplication(topology: try WordCount.topology(), config: config, embeddedCluster: cluster)
        let running = Task { try await app.run() }
        while app.state != .running { try await Task.sleep(for: .milliseconds(20)) }

        let reader = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: [cluster.bootstrapServers], groupID: "reader"))
        try reader.assign(Dictionary(uniqueKeysWithValues: (0..<partitions).map {
            (KafkaTopicPartition(topic: "word-counts", partition: Int32($0)), KafkaOffset.beginning)
        }))
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: [cluster.bootstrapServers]))
        let start = ContinuousClock.now
        for index in 0..<records {
            try producer.produce(KafkaProducerRecord(topic: "words", key: "key-\(index % keys)", value: "payload",
                                                     timestamp: Int64(Date().timeIntervalSince1970 * 1000)))
        }
        try await producer.flush()
        var latencies: [Double] = []
        latencies.reserveCapacity(records)
        let deadline = ContinuousClock.now + .seconds(300)
        while latencies.count < records, ContinuousClock.now < deadline {
            let batch = try await reader.poll(maxRecords: 10_000, timeout: .milliseconds(100))
            let now = Date().timeIntervalSince1970 * 1000
            for record in batch { latencies.append(now - Double(record.timestamp)) }
        }
        let seconds = (ContinuousClock.now - start).seconds
        app.triggerShutdown()
        try await running.value
        try await reader.close()
        try await producer.close()
        latencies.sort()
        func percentile(_ p: Double) -> Double { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        return (Double(latencies.count) / seconds, percentile(0.5), percentile(0.99))
    }

    private func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    private func peakRSS() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss / 1024
    }
}
