import ArgumentParser
import Flowstate
import Foundation

/// A statement as the lifecycle workload carries it: about 160 bytes of JSON.
struct StatementRecord: Codable, Equatable, Sendable {
    var id: String
    var organisationId: String
    var status: String
    var amount: Int
    var currency: String
    var paymentMethod: String
    var updatedAt: Int64
    var updatedBy: String

    static let sample = StatementRecord(
        id: "stmt-000001", organisationId: "org-042", status: "waiting-for-approval", amount: 12_345,
        currency: "EUR", paymentMethod: "direct-debit", updatedAt: 1_714_564_800_123, updatedBy: "auto-approval")
}

/// `flowstate-bench json`: µs per encode and decode of a statement, Flowstate's `JSONSerde` against Foundation.
struct JSONCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "json", abstract: "µs per JSON encode/decode of a ~160-byte statement: JSONSerde vs Foundation.")

    @Option(help: "Operations per run.") var iterations: Int = 200_000
    @Option(help: "Runs per figure; the median is reported.") var runs: Int = 3
    @Option(help: "Measure only the operations whose name contains this text (for profiling).") var only: String?

    func run() throws {
        let value = StatementRecord.sample
        let serde = JSONSerde<StatementRecord>()
        let bytes = try serde.serialize(value)
        guard try serde.deserialize(bytes) == value else { throw ValidationError("JSONSerde does not round-trip") }
        let foundationEncoder = JSONEncoder()
        let foundationDecoder = JSONDecoder()
        let data = try foundationEncoder.encode(value)

        let measurements: [(String, () throws -> Void)] = [
            ("encode, Foundation JSONEncoder", { _ = try foundationEncoder.encode(value) }),
            ("encode, Flowstate JSONSerde", { _ = try serde.serialize(value) }),
            ("decode, Foundation JSONDecoder", { _ = try foundationDecoder.decode(StatementRecord.self, from: data) }),
            ("decode, Flowstate JSONSerde", { _ = try serde.deserialize(bytes) }),
        ]
        print("Value: \(bytes.count) bytes: \(String(decoding: bytes, as: UTF8.self))")
        print("| operation | µs/op (median of \(runs)) | ops/s |")
        print("|---|---:|---:|")
        var medians: [String: Double] = [:]
        for (name, body) in measurements where only.map({ name.contains($0) }) ?? true {
            var samples: [Double] = []
            for _ in 0..<runs {
                for _ in 0..<(iterations / 10) { try body() }  // warm-up
                let start = ContinuousClock.now
                for _ in 0..<iterations { try body() }
                samples.append((ContinuousClock.now - start).seconds * 1e6 / Double(iterations))
            }
            let median = samples.sorted()[samples.count / 2]
            medians[name] = median
            print("| \(name) | " + String(format: "%.2f", median) + " | \(Int(1e6 / median)) |")
        }
        if let foundation = medians["encode, Foundation JSONEncoder"], let ours = medians["encode, Flowstate JSONSerde"],
           let foundationDecode = medians["decode, Foundation JSONDecoder"], let oursDecode = medians["decode, Flowstate JSONSerde"] {
            print(String(format: "Speed-up over Foundation: encode %.1f×, decode %.1f×", foundation / ours, foundationDecode / oursDecode))
        }
    }
}
