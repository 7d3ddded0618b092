// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "flowstate",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "FlowstateKafka", targets: ["FlowstateKafka"]),
        .library(name: "FlowstateRocksDB", targets: ["FlowstateRocksDB"]),
        .library(name: "Flowstate", targets: ["Flowstate"]),
        .library(name: "FlowstateTesting", targets: ["FlowstateTesting"]),
        .library(name: "Saga", targets: ["Saga"]),
        .library(name: "FlowstatePod", targets: ["FlowstatePod"]),
        .executable(name: "flowstate", targets: ["FlowstateCLI"]),
        .executable(name: "flowstate-bench", targets: ["FlowstateBenchmarks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        // OTLP/HTTP export only: the gRPC exporter's trait stays off (it builds grpc-swift).
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // MARK: - System libraries (Debian: librdkafka-dev, librocksdb-dev)
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"]), .brew(["librdkafka"])]
        ),
        .systemLibrary(
            name: "CRocksDB",
            pkgConfig: "rocksdb",
            providers: [.apt(["librocksdb-dev"]), .brew(["rocksdb"])]
        ),
        .systemLibrary(
            name: "CJemalloc",
            pkgConfig: "jemalloc",
            providers: [.apt(["libjemalloc-dev"])]
        ),

        // MARK: - The executables' allocator (jemalloc on Linux)
        .target(name: "CJemallocConfig"),
        .target(
            name: "FlowstateAllocator",
            dependencies: [
                .target(name: "CJemalloc", condition: .when(platforms: [.linux])),
                .target(name: "CJemallocConfig", condition: .when(platforms: [.linux])),
            ]
        ),

        // MARK: - Foundations
        .target(
            name: "FlowstateKafka",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "FlowstateRocksDB",
            dependencies: ["CRocksDB"]
        ),

        // MARK: - Engine
        .target(
            name: "Flowstate",
            dependencies: [
                "FlowstateKafka",
                "FlowstateRocksDB",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "FlowstateTesting",
            dependencies: ["Flowstate", "FlowstateKafka"]
        ),

        // MARK: - State machines and sagas
        .target(
            name: "Saga",
            dependencies: [
                "Flowstate",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),

        // MARK: - Pods: the entry point of a pod executable (registrations, commands), its HTTP
        // server, Prometheus metrics, host discovery, interactive queries
        .target(
            name: "FlowstatePod",
            dependencies: [
                "Flowstate",
                "FlowstateKafka",
                "FlowstateAllocator",
                "Saga",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
            ]
        ),

        // MARK: - Topologies (what users copy)
        .target(name: "WordCount", dependencies: ["Flowstate"], path: "topologies/WordCount"),
        .target(name: "StatementLifecycle", dependencies: ["Flowstate", "Saga"], path: "topologies/StatementLifecycle"),
        .target(name: "PlaceOrder", dependencies: ["Flowstate", "Saga"], path: "topologies/PlaceOrder"),

        // MARK: - Simulation scenarios over the topologies (deterministic Kafka, crash injection)
        .target(
            name: "FlowstateSimulationScenarios",
            dependencies: ["Flowstate", "FlowstateKafka", "FlowstateTesting", "Saga", "StatementLifecycle", "PlaceOrder"]
        ),

        // MARK: - Apps
        .executableTarget(
            name: "FlowstateCLI",
            dependencies: [
                "FlowstateAllocator",
                "FlowstateKafka",
                "Flowstate",
                "Saga",
                "FlowstatePod",
                "FlowstateTesting",
                "FlowstateSimulationScenarios",
                "WordCount",
                "StatementLifecycle",
                "PlaceOrder",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "FlowstateBenchmarks",
            dependencies: [
                "FlowstateKafka",
                "Flowstate",
                "WordCount",
                "StatementLifecycle",
                "Saga",
                "FlowstateRocksDB",
                "FlowstateAllocator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "benchmarks/Sources/FlowstateBenchmarks"
        ),

        // MARK: - Tests
        .testTarget(name: "FlowstateAllocatorTests", dependencies: ["FlowstateAllocator"]),
        .testTarget(name: "FlowstateKafkaTests", dependencies: ["FlowstateKafka"]),
        .testTarget(name: "FlowstateRocksDBTests", dependencies: ["FlowstateRocksDB"]),
        .testTarget(name: "FlowstateTests", dependencies: ["Flowstate", "FlowstateTesting"]),
        .testTarget(name: "FlowstateTestingTests", dependencies: ["Flowstate", "FlowstateTesting"]),
        .testTarget(name: "FlowstateSimulationScenariosTests", dependencies: [
            "FlowstateSimulationScenarios", "FlowstateTesting", "Flowstate", "FlowstateKafka", "Saga", "StatementLifecycle", "PlaceOrder",
        ]),
        .testTarget(name: "SagaTests", dependencies: [
            "Saga", "Flowstate", "FlowstateTesting",
            .product(name: "Tracing", package: "swift-distributed-tracing"),
        ]),
        .testTarget(name: "StatementLifecycleTests", dependencies: ["StatementLifecycle", "Saga", "Flowstate", "FlowstateTesting"]),
        .testTarget(name: "PlaceOrderTests", dependencies: ["PlaceOrder", "Saga", "Flowstate", "FlowstateTesting"]),
        .testTarget(name: "FlowstatePodTests", dependencies: [
            "FlowstatePod", "Flowstate", "FlowstateKafka", "WordCount",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .testTarget(name: "FlowstateCLITests", dependencies: ["FlowstateCLI", "FlowstateKafka", "Flowstate", "FlowstatePod", "FlowstateTesting",
                                                         "WordCount", "Saga", "StatementLifecycle", "PlaceOrder"]),
    ]
)

// Every Swift target: Swift 6 mode, explicit imports, explicit existentials.
for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    target.swiftSettings = settings
}
