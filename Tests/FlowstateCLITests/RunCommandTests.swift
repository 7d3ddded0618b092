import Foundation
import Testing

@Suite(.timeLimit(.minutes(2)))
struct RunCommandTests {
    private func failure(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32?, message: String) {
        let pod = try FlowstateProcess(["run"] + arguments, environment: environment)
        let status = pod.waitForExit(timeout: .seconds(30))
        return (status, pod.errorOutput())
    }

    @Test func missingBootstrapServersFailsAtStartupNamingTheFlag() throws {
        let result = try failure(["word-count"], environment: ["FLOWSTATE_BOOTSTRAP_SERVERS": ""])
        #expect(result.status != nil && result.status != 0)
        #expect(result.message.contains("--bootstrap-servers"), "\(result.message)")
    }

    @Test func environmentVariablesStandInForFlagsAndBadValuesNameTheFlag() throws {
        let threads = try failure(["word-count"], environment: ["FLOWSTATE_BOOTSTRAP_SERVERS": "127.0.0.1:1",
                                                                 "FLOWSTATE_THREADS": "many"])
        #expect(threads.status != 0)
        #expect(threads.message.contains("--threads"), "\(threads.message)")
        let guarantee = try failure(["word-count", "--bootstrap-servers", "127.0.0.1:1", "--processing-guarantee", "maybe"])
        #expect(guarantee.message.contains("--processing-guarantee"), "\(guarantee.message)")
    }

    @Test func anUnwritableStateDirectoryFailsAtStartupNamingTheFlag() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-dir-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try failure(["word-count", "--bootstrap-servers", "127.0.0.1:1", "--state-dir", "\(file)/state"])
        #expect(result.status != 0)
        #expect(result.message.contains("--state-dir"), "\(result.message)")
    }

    @Test func anUnknownTopologyIsNamed() throws {
        let result = try failure(["no-such-topology", "--bootstrap-servers", "127.0.0.1:1"])
        #expect(result.status != 0)
        #expect(result.message.contains("no-such-topology") && result.message.contains("word-count"), "\(result.message)")
    }
}
