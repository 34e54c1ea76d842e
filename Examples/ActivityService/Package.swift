// swift-tools-version: 6.2
import PackageDescription

// An example activity service: what a team that grants rewards builds on RewardSDK.
let package = Package(
    name: "ActivityService",
    platforms: [.macOS(.v15)],
    dependencies: [
        // This repository. Outside it, use the url form:
        // .package(url: "https://github.com/<org>/reward-pipeline.git", from: "<version>")
        .package(name: "reward-pipeline", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
    ],
    targets: [
        .executableTarget(
            name: "activity-service",
            dependencies: [
                .product(name: "RewardSDK", package: "reward-pipeline"),
                .product(name: "RewardCore", package: "reward-pipeline"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            // CI builds the example: a deprecation in the SDK's API fails it instead of rotting here.
            swiftSettings: [.treatAllWarnings(as: .error), .enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)
