import ArgumentParser
import Flowstate
import FlowstateAllocator
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UnixSignals

/// `<pod> run <topology>`: runs a registered topology as one pod of a scaled-out application.
///
/// Every setting comes from a flag or its environment variable (flag wins); `run` never embeds
/// a cluster. The pod serves `/health`, `/ready`, `/metrics` and interactive queries
/// (`/stores/<store>/<key>`) over HTTP, and announces itself on `<application-id>-pods`. A
/// topology's own options (``PodOption``) come with its registration.
struct RunCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        let registrations = PodCatalog.registrations
        // Each topology option once, with the topologies that take it.
        var own: [String] = []
        var seen: Set<String> = []
        for option in registrations.flatMap(\.options) where seen.insert(option.flag).inserted {
            let takers = registrations.filter { $0.options.contains { $0.flag == option.flag } }.map(\.name)
            own.append("--\(option.flag) [\(option.environmentVariable)] (\(takers.joined(separator: ", "))): \(option.help)")
        }
        return CommandConfiguration(
            commandName: "run",
            abstract: "Run a topology as a pod against a Kafka cluster.",
            discussion: "Topologies: \(registrations.map { "\($0.name) (\($0.summary))" }.joined(separator: ", ")). "
                + "Each flag has an environment variable: "
                + "FLOWSTATE_BOOTSTRAP_SERVERS, FLOWSTATE_APPLICATION_ID, FLOWSTATE_INSTANCE_ID, FLOWSTATE_STATE_DIR, "
                + "FLOWSTATE_THREADS, FLOWSTATE_PROCESSING_GUARANTEE, FLOWSTATE_COMMIT_INTERVAL_MS, FLOWSTATE_HTTP_PORT, "
                + "FLOWSTATE_ADVERTISED_ADDRESS, FLOWSTATE_BROKER_TRANSACTIONS, FLOWSTATE_MAX_IN_FLIGHT_CALLS, FLOWSTATE_OTLP_ENDPOINT."
                + (own.isEmpty ? "" : " Options of the topologies: " + own.joined(separator: "; ") + ".")
        )
    }

    @Argument(help: "The topology to run.")
    var topology: String

    @OptionGroup var settings: PodSettings

    @Argument(parsing: .allUnrecognized, help: "The topology's own options (see the discussion above).")
    var topologyArguments: [String] = []

    /// The topology's own options from flags and environment, checked.
    func topologyOptions(of registration: PodRegistration,
                         environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PodOptionValues {
        try PodOptionParser(registration: registration, others: PodCatalog.registrations)
            .values(arguments: topologyArguments, environment: environment)
    }

    func run() async throws {
        let entry = try PodCatalog.registration(named: topology)
        let config = try settings.config(defaultApplicationID: entry.defaultApplicationID)
        let options = try topologyOptions(of: entry)
        let http = try settings.httpSettings()
        let traceExport: TraceExport?
        do {
            traceExport = try settings.traceExport(serviceName: config.applicationID)
        } catch {
            throw ValidationError(error.description)
        }
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: PodCatalog.executable)
        logger.logLevel = settings.logLevel
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        // Spans only with a collector to send them to; else the tracer stays the no-op one.
        let traceExporter = try traceExport.map { try $0.bootstrap() }
        // A pod runs one application per unit (a saga worker: one per listener); the first one
        // answers interactive queries and publishes the pod's address.
        let apps = try entry.makeUnits(config.applicationID, options).map { unit in
            var unitConfig = config
            unitConfig.applicationID = unit.applicationID
            if let threads = unit.threads, !settings.threadsGiven { unitConfig.threads = threads }
            return FlowstateApplication(topology: unit.topology, config: unitConfig, logger: logger)
        }
        let app = apps[0]
        let directory = PodDirectory(application: app, config: config, advertisedAddress: http.advertisedAddress, logger: logger)
        let server = PodHTTPServer(application: app, directory: directory, metrics: PodMetrics(registry: registry),
                                   instanceID: config.instanceID, port: http.port, logger: logger,
                                   otherApplications: Array(apps.dropFirst()))
        logger.info("Starting pod", metadata: ["flowstate.topology": "\(topology)", "flowstate.instance": "\(config.instanceID)",
                                               "flowstate.application": "\(config.applicationID)",
                                               "flowstate.http": "\(http.port)", "flowstate.advertised": "\(http.advertisedAddress)",
                                               "flowstate.allocator": "\(ProcessAllocator.description)"])
        // Graceful shutdown stops the services in reverse order: the application (finish the
        // batch, commit, close stores, leave the group), then the directory (tombstone), then
        // HTTP, then the trace exporter (flushing the last spans).
        let exporting: [ServiceGroupConfiguration.ServiceConfiguration] = traceExporter.map { exporter in
            [.init(service: exporter, successTerminationBehavior: .gracefullyShutdownGroup,
                   failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: "trace-export")]
        } ?? []
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: exporting + [
            .init(service: server.makeService(), successTerminationBehavior: .gracefullyShutdownGroup,
                  failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: "http"),
            .init(service: directory, successTerminationBehavior: .gracefullyShutdownGroup,
                  failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: "directory"),
        ] + apps.map { app in
            .init(service: app, successTerminationBehavior: .gracefullyShutdownGroup,
                  failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: "application")
        }, logger: logger))
        // First SIGTERM/SIGINT: graceful shutdown of the group. A second signal, or a shutdown
        // longer than the bound, stops the process at once.
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let signalLogger = logger
        let bound = Self.shutdownBound
        let watcher = Task {
            var received = 0
            for await signal in signals {
                received += 1
                if received == 1 {
                    signalLogger.info("Shutting down gracefully", metadata: ["flowstate.signal": "\(signal)"])
                    await group.triggerGracefulShutdown()
                    Task {
                        try await Task.sleep(for: bound)
                        signalLogger.error("Graceful shutdown took longer than the bound; exiting",
                                           metadata: ["flowstate.bound": "\(bound)"])
                        Foundation.exit(2)
                    }
                } else {
                    signalLogger.warning("Second signal: exiting at once")
                    Foundation.exit(130)
                }
            }
        }
        defer { watcher.cancel() }
        do {
            try await group.run()
        } catch let error as FlowstateError where error.code == .configuration {
            throw ValidationError(error.setting.map { "--\($0): \(error.message)" } ?? error.message)
        }
    }

    /// How long a graceful shutdown may take before the process exits anyway (keep it below
    /// Kubernetes' `terminationGracePeriodSeconds`).
    static let shutdownBound: Duration = .seconds(30)
}

/// The settings shared by every command that runs pods: flags with environment fallbacks.
struct PodSettings: ParsableArguments {
    @Option(help: "Kafka bootstrap servers, comma-separated host:port [FLOWSTATE_BOOTSTRAP_SERVERS].")
    var bootstrapServers: String?
    @Option(help: "Application id: consumer group and internal topic prefix [FLOWSTATE_APPLICATION_ID].")
    var applicationID: String?
    @Option(help: "Stable instance id, e.g. the pod name [FLOWSTATE_INSTANCE_ID].")
    var instanceID: String?
    @Option(help: "State directory [FLOWSTATE_STATE_DIR].")
    var stateDir: String?
    @Option(help: "Stream threads [FLOWSTATE_THREADS].")
    var threads: String?
    @Option(help: "exactly-once or at-least-once [FLOWSTATE_PROCESSING_GUARANTEE].")
    var processingGuarantee: String?
    @Option(help: "Commit interval in milliseconds [FLOWSTATE_COMMIT_INTERVAL_MS].")
    var commitIntervalMs: String?
    @Option(help: "How the brokers keep transactions: detect, markers (Kafka) or unfiltered (librdkafka's mock, the dev-broker command) [FLOWSTATE_BROKER_TRANSACTIONS]; default detect.")
    var brokerTransactions: String?
    @Option(help: "Most calls of workers and endpoints to other services one stream thread runs at once; at the bound it stops fetching [FLOWSTATE_MAX_IN_FLIGHT_CALLS]; default 4096.")
    var maxInFlightCalls: String?
    @Option(help: "Port of the pod's HTTP server: /health, /ready, /metrics, /stores [FLOWSTATE_HTTP_PORT]; default 8080.")
    var httpPort: String?
    @Option(help: "host:port where other pods reach this pod's HTTP server [FLOWSTATE_ADVERTISED_ADDRESS]; default <hostname>:<http-port>.")
    var advertisedAddress: String?
    @Option(help: "OTLP/HTTP collector to export saga and state-machine spans to, e.g. http://collector:4318 [FLOWSTATE_OTLP_ENDPOINT]; unset: nothing traced.")
    var otlpEndpoint: String?
    @Option(help: "A raw librdkafka property key=value (repeatable).")
    var kafkaProperty: [String] = []
    @Flag(help: "Log at debug level.")
    var verbose = false

    var logLevel: Logger.Level { verbose ? .debug : .info }

    /// Whether the thread count was set by flag or environment (it then wins over a
    /// listener's own concurrency).
    var threadsGiven: Bool { setting(threads, "FLOWSTATE_THREADS") != nil }

    /// The HTTP server's port and the address other pods reach it at, validated (the port must
    /// be free).
    func httpSettings(environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> (port: Int, advertisedAddress: String) {
        func value(_ flag: String?, _ variable: String) -> String? { setting(flag, variable, environment: environment) }
        var port = 8080
        if let text = value(httpPort, "FLOWSTATE_HTTP_PORT") {
            guard let number = Int(text) else { throw ValidationError("--http-port: '\(text)' is not a number") }
            port = number
        }
        do {
            try PodHTTPServer.checkPortAvailable(port)
        } catch {
            throw ValidationError("--http-port: \(error.message)")
        }
        let address = value(advertisedAddress, "FLOWSTATE_ADVERTISED_ADDRESS") ?? "\(ProcessInfo.processInfo.hostName):\(port)"
        let parts = address.split(separator: ":")
        guard parts.count == 2, !parts[0].isEmpty, let advertisedPort = Int(parts[1]), (1...65_535).contains(advertisedPort) else {
            throw ValidationError("--advertised-address: '\(address)' is not host:port")
        }
        return (port, address)
    }

    /// Resolves flags, then environment variables, into a validated configuration.
    func config(defaultApplicationID: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> FlowstateConfig {
        func value(_ flag: String?, _ variable: String) -> String? { setting(flag, variable, environment: environment) }
        guard let servers = value(bootstrapServers, "FLOWSTATE_BOOTSTRAP_SERVERS") else {
            throw ValidationError("--bootstrap-servers (or FLOWSTATE_BOOTSTRAP_SERVERS) is required: `run` never embeds a cluster")
        }
        var config = FlowstateConfig(applicationID: value(applicationID, "FLOWSTATE_APPLICATION_ID") ?? defaultApplicationID,
                                     bootstrapServers: servers.split(separator: ",").map { String($0) })
        if let instance = value(instanceID, "FLOWSTATE_INSTANCE_ID") { config.instanceID = instance }
        if let directory = value(stateDir, "FLOWSTATE_STATE_DIR") { config.stateDirectory = directory }
        func integer(_ flag: String?, _ variable: String, _ name: String) throws -> Int? {
            guard let text = value(flag, variable) else { return nil }
            guard let number = Int(text) else { throw ValidationError("--\(name): '\(text)' is not a number") }
            return number
        }
        if let count = try integer(threads, "FLOWSTATE_THREADS", "threads") { config.threads = count }
        if let text = value(processingGuarantee, "FLOWSTATE_PROCESSING_GUARANTEE") {
            guard let guarantee = FlowstateConfig.ProcessingGuarantee(rawValue: text) else {
                throw ValidationError("--processing-guarantee: '\(text)' is not exactly-once or at-least-once")
            }
            config.processingGuarantee = guarantee
        }
        if let milliseconds = try integer(commitIntervalMs, "FLOWSTATE_COMMIT_INTERVAL_MS", "commit-interval-ms") {
            config.commitInterval = .milliseconds(milliseconds)
        }
        if let count = try integer(maxInFlightCalls, "FLOWSTATE_MAX_IN_FLIGHT_CALLS", "max-in-flight-calls") {
            config.maxInFlightCalls = count
        }
        if let text = value(brokerTransactions, "FLOWSTATE_BROKER_TRANSACTIONS") {
            guard let kind = FlowstateConfig.BrokerTransactions(rawValue: text) else {
                let names = FlowstateConfig.BrokerTransactions.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError("--broker-transactions: '\(text)' is not one of \(names)")
            }
            config.brokerTransactions = kind
        }
        do {
            config.kafkaProperties.merge(try FlowstateConfig.kafkaProperties(parsing: kafkaProperty)) { $1 }
            try config.validate()
        } catch {
            throw ValidationError(error.setting.map { "--\($0): \(error.message)" } ?? error.message)
        }
        return config
    }
}
