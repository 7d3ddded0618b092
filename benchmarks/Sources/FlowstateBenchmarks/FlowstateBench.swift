import ArgumentParser
import FlowstateKafka
import Foundation

/// `flowstate-bench`: throughput of Flowstate's foundations, in release mode.
@main
struct FlowstateBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flowstate-bench",
        abstract: "Measure Flowstate: Kafka, RocksDB, JSON, the engine and the statement lifecycle comparison.",
        subcommands: [KafkaCommand.self, RocksDBCommand.self, EngineCommand.self, JSONCommand.self, StatementCommand.self]
    )
}

struct KafkaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka",
        abstract: "Produce and consume throughput on the embedded cluster (or --bootstrap-servers)."
    )

    @Option(help: "Records per run.") var records: Int = 200_000
    @Option(help: "Value size in bytes.") var valueSize: Int = 100
    @Option(help: "Partitions of the benchmark topic.") var partitions: Int = 8
    @Option(help: "Records per transaction in the transactional run.") var transactionSize: Int = 1_000
    @Option(help: "Runs per figure; the median is reported.") var runs: Int = 3
    @Option(help: "Use this cluster instead of an in-process embedded one (e.g. `flowstate dev-broker`).")
    var bootstrapServers: String?

    func run() async throws {
        var results: [String: [KafkaThroughputResult]] = [:]
        for run in 0..<runs {
            let cluster = bootstrapServers == nil ? try EmbeddedCluster() : nil
            let servers = bootstrapServers ?? cluster!.bootstrapServers
            let bench = KafkaThroughput(bootstrapServers: servers, records: records, valueSize: valueSize,
                                        partitions: partitions, transactionSize: transactionSize)
            for result in try await bench.run(runID: run, createTopic: { name in
                try cluster?.createTopic(name, partitions: partitions)
            }) {
                results[result.operation, default: []].append(result)
            }
            cluster?.shutdown()
        }
        print("| operation | records | records/s (median of \(runs)) | MB/s |")
        print("|---|---:|---:|---:|")
        for operation in KafkaThroughput.operations {
            guard let runs = results[operation], !runs.isEmpty else { continue }
            let median = runs.sorted { $0.recordsPerSecond < $1.recordsPerSecond }[runs.count / 2]
            print("| \(operation) | \(median.records) | \(Int(median.recordsPerSecond)) | "
                  + String(format: "%.1f", median.megabytesPerSecond) + " |")
        }
    }
}

struct RocksDBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rocksdb", abstract: "RocksDB put/get throughput.")

    @Option(help: "Records per run.") var records: Int = 200_000
    @Option(help: "Key size in bytes.") var keySize: Int = 16
    @Option(help: "Value size in bytes.") var valueSize: Int = 100
    @Option(help: "Runs per figure; the median is reported.") var runs: Int = 3

    func run() throws {
        var results: [String: [RocksDBThroughputResult]] = [:]
        for _ in 0..<runs {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("flowstate-bench-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            for result in try RocksDBThroughput.run(records: records, keySize: keySize, valueSize: valueSize,
                                                    directory: directory) {
                results[result.operation, default: []].append(result)
            }
        }
        print("| operation | records | ops/s (median of \(runs)) | µs/op |")
        print("|---|---:|---:|---:|")
        for (operation, runs) in results.sorted(by: { $0.key < $1.key }) {
            let median = runs.sorted { $0.recordsPerSecond < $1.recordsPerSecond }[runs.count / 2]
            print("| \(operation) | \(median.records) | \(Int(median.recordsPerSecond)) | "
                  + String(format: "%.2f", 1e6 / median.recordsPerSecond) + " |")
        }
    }
}

