import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Bad pod settings fail at start-up, before joining any cluster, naming the flag.
/// (Missing bootstrap servers and an unwritable state directory: `RunCommandTests`.)
@Suite(.timeLimit(.minutes(2)))
struct PodConfigurationTests {
    private func failure(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32?, message: String) {
        let pod = try FlowstateProcess(["run", "word-count", "--bootstrap-servers", "127.0.0.1:1"] + arguments,
                                       environment: environment)
        let status = await pod.waitForExit(timeout: .seconds(30))
        return (status, pod.errorOutput())
    }

    @Test func aPortInUseFailsAtStartupNamingTheFlag() async throws {
        let listener = try ListeningSocket()
        defer { listener.close() }
        let result = try await failure(["--http-port", String(listener.port)])
        #expect(result.status != nil && result.status != 0)
        #expect(result.message.contains("--http-port") && result.message.contains("\(listener.port)"), "\(result.message)")
    }

    @Test func badHTTPSettingsFromFlagsOrEnvironmentNameTheFlag() async throws {
        let port = try await failure([], environment: ["FLOWSTATE_HTTP_PORT": "eighty"])
        #expect(port.status != 0)
        #expect(port.message.contains("--http-port"), "\(port.message)")
        let range = try await failure(["--http-port", "70000"])
        #expect(range.message.contains("--http-port"), "\(range.message)")
        let address = try await failure(["--http-port", "0", "--advertised-address", "no-port"])
        #expect(address.status != 0)
        #expect(address.message.contains("--http-port") || address.message.contains("--advertised-address"), "\(address.message)")
        let advertised = try await failure([], environment: ["FLOWSTATE_HTTP_PORT": "18999", "FLOWSTATE_ADVERTISED_ADDRESS": "no-port"])
        #expect(advertised.message.contains("--advertised-address"), "\(advertised.message)")
    }
}

/// A TCP socket listening on a free loopback port, to make a port busy.
final class ListeningSocket {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr = in_addr(s_addr: INADDR_ANY)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address -> Int32 in
                guard bind(descriptor, address, length) == 0, listen(descriptor, 8) == 0 else { return -1 }
                return getsockname(descriptor, address, &length)
            }
        }
        guard bound == 0 else {
            Glibc.close(descriptor)
            throw POSIXError(.EADDRINUSE)
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// A port that was free a moment ago (the socket is closed again).
    static func freePort() throws -> Int {
        let socket = try ListeningSocket()
        socket.close()
        return socket.port
    }

    func close() { Glibc.close(descriptor) }
}
