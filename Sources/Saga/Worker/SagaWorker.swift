public import Flowstate
public import Tracing

/// A saga worker service: endpoints for steps of one or more sagas, grouped into listeners.
///
/// Each listener is one Flowstate application (one consumer group, its own stream threads):
/// the shared listener carries every ``ListenerScope/shared`` endpoint's topics, and each
/// ``ListenerScope/isolated`` endpoint gets one listener for its primary topic and one for
/// its undo topic, with the endpoint's primary and revert concurrency as thread counts.
/// Replies go to `saga.reply.<saga>` in the same transaction as the consumed command's offset.
public struct SagaWorker: Sendable {
    /// A group of endpoint topics consumed together.
    public struct Listener: Sendable {
        /// The application id (consumer group) of the listener.
        public let applicationID: String
        /// The listener's topology.
        public let topology: Topology
        /// Stream threads: the endpoints' concurrency.
        public let threads: Int
        /// The topics it consumes.
        public let topics: [String]
    }

    /// The worker's name: the application id of its shared listener, the prefix of the others.
    public let name: String
    /// The sagas served (each has a reply topic).
    public let sagas: [String]
    /// The endpoints.
    public let endpoints: [SagaEndpoint]
    /// The tracer of the spans `endpoint <topic>`, one per command executed (its immediate
    /// retries included), each a child of the command's `traceparent`; `nil` (the default) uses
    /// the bootstrapped one, read when a task starts.
    public var tracer: (any Tracer)?

    /// Creates a worker.
    ///
    /// - Throws: ``SagaDefinitionError`` for a bad name, no endpoints or a suffix used twice.
    public init(name: String, serving sagas: [String], endpoints: [SagaEndpoint]) throws(SagaDefinitionError) {
        try TopicNames.validate(name, what: "worker name")
        for saga in sagas { try TopicNames.validate(saga, what: "saga name") }
        guard !endpoints.isEmpty else { throw SagaDefinitionError("worker \(name) has no endpoints") }
        guard !sagas.isEmpty else { throw SagaDefinitionError("worker \(name) serves no saga") }
        var seen: Set<String> = []
        for endpoint in endpoints where !seen.insert(endpoint.topicSuffix).inserted {
            throw SagaDefinitionError("worker \(name): endpoint \(endpoint.topicSuffix) is registered twice")
        }
        self.name = name
        self.sagas = sagas
        self.endpoints = endpoints
    }

    /// The reply topics written.
    public var replyTopics: [String] { sagas.map { "saga.reply.\($0)" } }

    /// The worker's listeners.
    ///
    /// - Throws: ``TopologyError`` for a graph the engine rejects.
    public func listeners() throws -> [Listener] {
        var listeners: [Listener] = []
        let shared = endpoints.filter { $0.scope == .shared }
        if !shared.isEmpty {
            let routes = shared.flatMap(Self.routes(of:))
            listeners.append(Listener(applicationID: name, topology: try topology(routes: routes),
                                      threads: shared.map { max($0.primaryConcurrency, $0.revertConcurrency) }.max() ?? 1,
                                      topics: routes.map(\.topic)))
        }
        for endpoint in endpoints where endpoint.scope == .isolated {
            for route in Self.routes(of: endpoint) {
                listeners.append(Listener(
                    applicationID: "\(name)-\(endpoint.topicSuffix)-\(route.action.rawValue)",
                    topology: try topology(routes: [route]),
                    threads: route.action == .do ? endpoint.primaryConcurrency : endpoint.revertConcurrency,
                    topics: [route.topic]))
            }
        }
        return listeners
    }

    /// Adds every endpoint to `builder` as one listener (for the test driver, or to run the
    /// worker inside another application).
    public func addTo(_ builder: TopologyBuilder) {
        add(routes: endpoints.flatMap(Self.routes(of:)), to: builder)
    }

    private func topology(routes: [SagaEndpointRoute]) throws -> Topology {
        let builder = TopologyBuilder()
        add(routes: routes, to: builder)
        return try builder.build()
    }

    private func add(routes: [SagaEndpointRoute], to builder: TopologyBuilder) {
        builder.processingErrorPolicy = .deadLetter
        let processor = "\(name)-endpoints", sagas = sagas, workerName = name, tracer = tracer
        builder.addSource("\(name)-commands", topics: routes.map(\.topic), key: .string, value: .json(SagaCommand.self))
            .process(processor) {
                SagaEndpointProcessor(worker: workerName, sagas: sagas, routes: routes, tracing: RecordTracing(tracer))
            }
        for saga in sagas {
            builder.addSink(SagaEndpointProcessor.sinkName(saga), topic: "saga.reply.\(saga)", parents: [processor],
                            key: .string, value: .json(SagaReply.self))
        }
    }

    static func routes(of endpoint: SagaEndpoint) -> [SagaEndpointRoute] {
        var routes = [SagaEndpointRoute(topic: endpoint.doTopic, action: .do, body: endpoint.doBody, retry: endpoint.primaryRetry,
                                        timeout: endpoint.timeout)]
        if let undo = endpoint.undoBody {
            routes.append(SagaEndpointRoute(topic: endpoint.undoTopic, action: .undo, body: undo, retry: endpoint.revertRetry,
                                            timeout: endpoint.timeout))
        }
        return routes
    }
}

/// One topic of an endpoint and what runs for it.
struct SagaEndpointRoute: Sendable {
    let topic: String
    let action: SagaAction
    let body: SagaEndpoint.Body
    let retry: ImmediateRetryPolicy
    /// Longest one execution may run; a longer one fails as retryable.
    let timeout: Duration
}
