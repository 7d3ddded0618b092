// swift-tools-version: 6.2
import PackageDescription

/// LoanDesk: a user's project built on Flowstate — a loan application state machine, a
/// trip-booking saga and the `loan-desk` pod executable that runs them.
let package = Package(
    name: "LoanDesk",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "loan-desk", targets: ["LoanDeskPod"]),
        .library(name: "LoanDesk", targets: ["LoanDesk"]),
    ],
    dependencies: [
        // Flowstate by path (this example lives inside its repository). In a project of your own:
        // .package(url: "https://github.com/OWNER/flowstate", branch: "main")
        .package(name: "flowstate", path: "../.."),
    ],
    targets: [
        .target(
            name: "LoanDesk",
            dependencies: [
                .product(name: "Flowstate", package: "flowstate"),
                .product(name: "Saga", package: "flowstate"),
            ]
        ),
        .executableTarget(
            name: "LoanDeskPod",
            dependencies: [
                "LoanDesk",
                .product(name: "FlowstatePod", package: "flowstate"),
            ],
            path: "Sources/loan-desk"
        ),
        .testTarget(
            name: "LoanDeskTests",
            dependencies: [
                "LoanDesk",
                .product(name: "Flowstate", package: "flowstate"),
                .product(name: "Saga", package: "flowstate"),
                .product(name: "FlowstateTesting", package: "flowstate"),
                .product(name: "FlowstateKafka", package: "flowstate"),
            ]
        ),
    ]
)

// Every Swift target: Swift 6 mode, explicit imports, explicit existentials (as Flowstate's own).
for target in package.targets {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    target.swiftSettings = settings
}
