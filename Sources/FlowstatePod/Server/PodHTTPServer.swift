public import Flowstate
import Foundation
import HTTPTypes
import Hummingbird
public import Logging
public import ServiceLifecycle

/// The pod's HTTP server (Hummingbird):
///
/// - `GET /health` — `200` while the process is alive.
/// - `GET /ready` — `200` when every assigned task is restored and running, else `503`; the
///   body is JSON with the state and assignment.
/// - `GET /metrics` — Prometheus text (``PodMetrics``).
/// - `GET /stores/<store>/<key>` — an interactive query: the committed value as JSON (`200`),
///   `404` when absent or for an unknown store, forwarded to the owning pod when another pod
///   hosts the key, `307` with the owner's address when forwarding fails, `503` while no pod
///   hosts it. The header `x-flowstate-pod` names the pod whose store answered. A store keyed by
///   an entity id but partitioned by another key is located through its index store
///   (`StoreDefinition.partitioned(byValueIn:)`); `?partition-key=<key>` skips that lookup.
/// - `GET /stores/<store>?prefix=…&from=…&to=…&after=…&limit=…&field=…&equals=…` — a page of
///   a store's entries across every pod, merged in key order, with the cursor for the next
///   page and the pods that did not answer (``StoreListing``).
public struct PodHTTPServer: Sendable {
    /// The response header naming the pod whose store answered a query.
    public static let podHeader = "x-flowstate-pod"

    let application: FlowstateApplication
    let directory: PodDirectory?
    let metrics: PodMetrics
    let otherApplications: [FlowstateApplication]
    let instanceID: String
    let host: String
    let port: Int
    let logger: Logger

    /// Creates the server of one pod.
    ///
    /// - Parameters:
    ///   - application: The pod's application.
    ///   - directory: Host discovery, to forward queries; `nil` answers only local keys.
    ///   - metrics: What `/metrics` renders.
    ///   - instanceID: The pod's instance id.
    ///   - host: The address to bind. Default: all interfaces.
    ///   - port: The port to bind (`0` picks a free one).
    ///   - logger: Receives the server's logs.
    ///   - otherApplications: Further applications of the pod (a saga worker's listeners);
    ///     `/ready` waits for them too.
    public init(application: FlowstateApplication, directory: PodDirectory?, metrics: PodMetrics, instanceID: String,
                host: String = "0.0.0.0", port: Int, logger: Logger, otherApplications: [FlowstateApplication] = []) {
        self.application = application
        self.otherApplications = otherApplications
        self.directory = directory
        self.metrics = metrics
        self.instanceID = instanceID
        self.host = host
        self.port = port
        self.logger = logger
    }

    /// The server as a service; `onRunning` receives the bound port once it listens.
    public func makeService(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> any Service {
        let router = Router()
        let application = application
        let directory = directory
        let metrics = metrics
        let queries = InteractiveQueries(application: application, directory: directory, instanceID: instanceID)
        let podHeader = HTTPField.Name(Self.podHeader)!
        router.get("health") { _, _ in
            Self.response(200, Array(#"{"status":"alive"}"#.utf8))
        }
        let others = otherApplications
        router.get("ready") { _, _ in
            let status = application.runtimeStatus
            let ready = status.isReady && others.allSatisfy { $0.runtimeStatus.isReady }
            let body: [String: String] = [
                "state": status.state.rawValue, "ready": String(ready),
                "tasks": status.assignedTasks.map(\.description).joined(separator: ","),
            ]
            return Self.response(ready ? 200 : 503, Array(try JSONEncoder().encode(body)))
        }
        router.get("metrics") { _, _ in
            let text = metrics.render(status: application.runtimeStatus, lag: directory?.consumerLag ?? [:])
            return Self.response(200, Array(text.utf8), contentType: "text/plain; version=0.0.4")
        }
        let listing = StoreListing(application: application, directory: directory, instanceID: instanceID)
        router.get("stores/:store") { request, context in
            let store = context.parameters.get("store") ?? ""
            var parameters: [String: String] = [:]
            for (name, value) in request.uri.queryParameters { parameters[String(name)] = String(value) }
            let forwarded = parameters.removeValue(forKey: "forwarded") == "true"
            let answer = await listing.answer(store: store.removingPercentEncoding ?? store, parameters: parameters,
                                              forwarded: forwarded)
            var response = Self.response(answer.status, answer.body, contentType: answer.contentType)
            if let pod = answer.pod { response.headers[podHeader] = pod }
            return response
        }
        router.get("stores/:store/:key") { request, context in
            let store = context.parameters.get("store") ?? ""
            let key = context.parameters.get("key") ?? ""
            let forwarded = request.uri.queryParameters.get("forwarded") == "true"
            let partitionKey = request.uri.queryParameters.get(InteractiveQueries.partitionKeyParameter)
            let answer = await queries.answer(store: store.removingPercentEncoding ?? store,
                                              key: key.removingPercentEncoding ?? key, partitionKey: partitionKey,
                                              forwarded: forwarded)
            var response = Self.response(answer.status, answer.body, contentType: answer.contentType)
            if let pod = answer.pod { response.headers[podHeader] = pod }
            if let location = answer.location { response.headers[.location] = location }
            return response
        }
        return Application(router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
                           logger: logger)
    }

    private static func response(_ status: Int, _ body: [UInt8], contentType: String = "application/json") -> Response {
        Response(status: HTTPResponse.Status(code: status), headers: [.contentType: contentType],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension PodHTTPServer {
    /// Checks at start-up that `port` can be bound on all interfaces, so a port in use fails
    /// before anything else starts.
    ///
    /// - Throws: ``FlowstateError`` `.configuration` naming the setting `http-port`.
    public static func checkPortAvailable(_ port: Int) throws(FlowstateError) {
        guard (1...65_535).contains(port) else {
            throw FlowstateError(.configuration, "port \(port) is not in 1...65535", setting: "http-port")
        }
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr = in_addr(s_addr: INADDR_ANY)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 {
            let reason = String(cString: strerror(errno))
            throw FlowstateError(.configuration, "port \(port) cannot be bound: \(reason)", setting: "http-port")
        }
    }
}
