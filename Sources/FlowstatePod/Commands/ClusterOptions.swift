package import ArgumentParser
import Foundation

/// The cluster a client command (saga start, statement approve, …) talks to.
package struct ClusterOptions: ParsableArguments {
    package init() {}
    @Option(help: "Kafka bootstrap servers, comma-separated host:port [FLOWSTATE_BOOTSTRAP_SERVERS].")
    package var bootstrapServers: String?

    /// The servers from the flag or the environment.
    package func servers(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [String] {
        guard let text = setting(bootstrapServers, "FLOWSTATE_BOOTSTRAP_SERVERS", environment: environment) else {
            throw ValidationError("--bootstrap-servers (or FLOWSTATE_BOOTSTRAP_SERVERS) is required")
        }
        return text.split(separator: ",").map(String.init)
    }
}
