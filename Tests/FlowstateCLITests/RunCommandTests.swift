import Foundation
import Testing

@Suite(.timeLimit(.minutes(2)))
struct RunCommandTests {
    private func failure(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32?, message: String) {
        let pod = try FlowstateProcess(["run"] + arguments, environment: environment)
        let status = await pod.waitForExit(timeout: .seconds(30))
        return (status, pod.errorOutput())
    }

    @Test func missingBootstrapServersFailsAtStartupNamingTheFlag() async throws {
        let result = try await failure(["word-count"], environment: ["FLOWSTATE_BOOTSTRAP_SERVERS": ""])
        #expect(result.status != nil && result.status != 0)
        #expect(result.message.contains("--bootstrap-servers"), "\(result.message)")
    }

    @Test func environmentVariablesStandInForFlagsAndBadValuesNameTheFlag() async throws {
        let threads = try await failure(["word-count"], environment: ["FLOWSTATE_BOOTSTRAP_SERVERS": "127.0.0.1:1",
                                                                 "FLOWSTATE_THREADS": "many"])
        #expect(threads.status != 0)
        #expect(threads.message.contains("--threads"), "\(threads.message)")
        let guarantee = try await failure(["word-count", "--bootstrap-servers", "127.0.0.1:1", "--processing-guarantee", "maybe"])
        #expect(guarantee.message.contains("--processing-guarantee"), "\(guarantee.message)")
        let property = try await failure(["word-count", "--bootstrap-servers", "127.0.0.1:1", "--kafka-property", "linger.ms"])
        #expect(property.status != 0)
        #expect(property.message.contains("--kafka-property: 'linger.ms' is not key=value"), "\(property.message)")
        let transactions = try await failure(["word-count"], environment: ["FLOWSTATE_BOOTSTRAP_SERVERS": "127.0.0.1:1",
                                                                      "FLOWSTATE_BROKER_TRANSACTIONS": "sometimes"])
        #expect(transactions.status != 0)
        #expect(transactions.message.contains("--broker-transactions: 'sometimes' is not one of detect, markers, unfiltered"),
                "\(transactions.message)")
    }

    @Test func anUnwritableStateDirectoryFailsAtStartupNamingTheFlag() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-dir-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try await failure(["word-count", "--bootstrap-servers", "127.0.0.1:1", "--state-dir", "\(file)/state"])
        #expect(result.status != 0)
        #expect(result.message.contains("--state-dir"), "\(result.message)")
    }

    @Test func anUnknownTopologyIsNamed() async throws {
        let result = try await failure(["no-such-topology", "--bootstrap-servers", "127.0.0.1:1"])
        #expect(result.status != 0)
        #expect(result.message.contains("no-such-topology") && result.message.contains("word-count"), "\(result.message)")
    }
}
