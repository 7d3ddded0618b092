import Foundation
import OTel
import ServiceLifecycle
import Tracing

/// Where a pod exports its spans: an OTLP/HTTP collector, from `--otlp-endpoint`
/// (`FLOWSTATE_OTLP_ENDPOINT`). Without one nothing is bootstrapped, and sagas and state
/// machines trace nothing.
struct TraceExport: Sendable, Hashable {
    /// The collector's traces URL (`<endpoint>/v1/traces`).
    let tracesURL: String
    /// The name spans are exported under (`service.name`): the application id.
    let serviceName: String

    /// An export to `tracesURL` as given.
    init(tracesURL: String, serviceName: String) {
        self.tracesURL = tracesURL
        self.serviceName = serviceName
    }

    /// The export `endpoint` asks for: an `http` or `https` URL of an OTLP/HTTP collector, to
    /// which `/v1/traces` is added unless it ends so already.
    ///
    /// - Throws: `TraceExportError` naming the setting when `endpoint` is not such a URL.
    init(endpoint: String, serviceName: String) throws(TraceExportError) {
        guard let url = URL(string: endpoint), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty else {
            throw TraceExportError("--otlp-endpoint: '\(endpoint)' is not an http or https URL of an OTLP/HTTP collector")
        }
        var base = endpoint
        while base.hasSuffix("/") { base.removeLast() }
        tracesURL = base.hasSuffix("/v1/traces") ? base : base + "/v1/traces"
        self.serviceName = serviceName
    }

    /// Bootstraps the tracer (W3C trace context propagation, batched OTLP/HTTP protobuf
    /// export) and returns the service that exports, to run in the pod's service group.
    ///
    /// Call it once per process. The standard `OTEL_*` environment variables still apply.
    func bootstrap() throws -> any Service {
        var configuration = OTel.Configuration.default
        configuration.serviceName = serviceName
        configuration.propagators = [.traceContext]
        configuration.metrics.enabled = false
        configuration.logs.enabled = false
        configuration.traces.exporter = .otlp
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        configuration.traces.otlpExporter.endpoint = tracesURL
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(backend.factory)
        return backend.service
    }
}

/// A trace export setting that is not valid; the message names the flag.
struct TraceExportError: Error, CustomStringConvertible {
    /// What is wrong, starting with the flag.
    let description: String

    init(_ description: String) { self.description = description }
}

extension PodSettings {
    /// The trace export the flag or `FLOWSTATE_OTLP_ENDPOINT` asks for, or `nil` when neither
    /// is set (then nothing is traced).
    ///
    /// - Throws: `TraceExportError` for a value that is not an http or https URL.
    func traceExport(serviceName: String,
                     environment: [String: String] = ProcessInfo.processInfo.environment) throws(TraceExportError) -> TraceExport? {
        guard let endpoint = setting(otlpEndpoint, "FLOWSTATE_OTLP_ENDPOINT", environment: environment) else { return nil }
        return try TraceExport(endpoint: endpoint, serviceName: serviceName)
    }
}
