// swift-tools-version: 6.2
import PackageDescription

// Every target of ours builds with strict concurrency (Swift 6 mode) and warnings as errors.
let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "reward-pipeline",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Kafka", targets: ["Kafka"]),
        .library(name: "MariaDB", targets: ["MariaDB"]),
        .library(name: "RewardCore", targets: ["RewardCore"]),
        .library(name: "RewardSDK", targets: ["RewardSDK"]),
        .library(name: "RewardSettlement", targets: ["RewardSettlement"]),
        .library(name: "DownstreamSimulator", targets: ["DownstreamSimulator"]),
        .executable(name: "reward-admin", targets: ["reward-admin"]),
        .executable(name: "reward-bench", targets: ["reward-bench"]),
        .executable(name: "reward-consumer", targets: ["reward-consumer"]),
        .executable(name: "reward-console", targets: ["reward-console"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        // `swift package generate-documentation --target RewardSDK`: the SDK's DocC catalog.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
    ],
    targets: [
        // C libraries from Debian's -dev packages. Only Kafka and MariaDB import these.
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .systemLibrary(
            name: "CMariaDB",
            pkgConfig: "libmariadb",
            providers: [.apt(["libmariadb-dev"])]
        ),

        // The one layer over librdkafka: producer, consumer, admin, mock cluster host.
        .target(
            name: "Kafka",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // The one layer over libmariadb: connections, pool, prepared statements, transactions.
        .target(
            name: "MariaDB",
            dependencies: [
                "CMariaDB",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            swiftSettings: strict
        ),
        // Domain values and configuration shared by every service; no I/O.
        .target(
            name: "RewardCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            swiftSettings: strict
        ),
        // What the on-call engineer runs: migrations, topics, the dev clusters, drains, reconciliation.
        .target(
            name: "RewardOps",
            dependencies: [
                "Kafka",
                "MariaDB",
                "RewardConsumer",
                "RewardCore",
                "RewardSettlement",
                "RewardStores",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // One owner per table (issue 13 moves every store here); today the live controls.
        .target(
            name: "RewardStores",
            dependencies: [
                "MariaDB",
                "RewardCore",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // What activity services link: grants, tokens, dual-cluster delivery, the durable spool.
        .target(
            name: "RewardSDK",
            dependencies: [
                "Kafka",
                "MariaDB",
                "RewardCore",
                "RewardStores",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Settlement: order claims, budgets, ledgers, rate limits, the engine every path settles through.
        .target(
            name: "RewardSettlement",
            dependencies: [
                "MariaDB",
                "RewardCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // A slow third-party ledger on loopback: capacity per 100 ms slice, latency, errors, stats.
        .target(
            name: "DownstreamSimulator",
            dependencies: [
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "reward-admin",
            dependencies: [
                "DownstreamSimulator",
                "Kafka",
                "MariaDB",
                "RewardCore",
                "RewardOps",
                "RewardSDK",
                "RewardRuntime",
                "RewardSettlement",
                "RewardStores",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // The lane consumer runtime: decode, verify, rate-limit, settle, park, commit.
        .target(
            name: "RewardConsumer",
            dependencies: [
                "Kafka", "MariaDB", "RewardCore", "RewardSettlement",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // What every executable shares: metrics bootstrap, the /metrics and /healthz server.
        .target(
            name: "RewardRuntime",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "reward-consumer",
            dependencies: [
                "Kafka", "MariaDB", "RewardConsumer", "RewardCore", "RewardOps", "RewardRuntime", "RewardSettlement", "RewardStores",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Load and throughput measurements of the whole path (not tests).
        .executableTarget(
            name: "reward-bench",
            dependencies: [
                "DownstreamSimulator",
                // chaos: RequestSignature (signed grants), and the process handles tests use (mariadbd, children).
                "RewardAPI",
                "RewardTestKit",
                "Kafka",
                "MariaDB",
                "RewardCore",
                "RewardOps",
                "RewardSDK",
                "RewardSettlement",
                "RewardWallet",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        // A fixed number of grants or raw records, for an instruction counter (valgrind --tool=callgrind).
        .executableTarget(
            name: "reward-grant-cost",
            dependencies: [
                "Kafka",
                "RewardCore",
                "RewardOps",
                "RewardSDK",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        // Test support: a child process that grants through the SDK, for the crash-and-replay test.
        .executableTarget(
            name: "reward-sdk-probe",
            dependencies: [
                "RewardCore",
                "RewardSDK",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),

        // Fuzz targets for the readers of outside bytes (tokens, events, signed requests, wallet cursors,
        // spool segments): a corpus replayer in a normal build, a libFuzzer binary built by ops/fuzz.
        .executableTarget(
            name: "reward-fuzz",
            dependencies: [
                "RewardAPI",
                "RewardCore",
                "RewardSDK",
                "RewardWallet",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict + [.enableExperimentalFeature("Extern")]
        ),

        // Test support: servers handed over by ops/test, throwaway databases, in-process clusters.
        .target(
            name: "RewardTestKit",
            dependencies: [
                "DownstreamSimulator",
                "Kafka",
                "RewardConsumer",
                "RewardOps",
                "RewardSettlement",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                "MariaDB",
                "RewardCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KafkaTests",
            dependencies: ["Kafka", "RewardTestKit"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MariaDBTests",
            dependencies: ["MariaDB", "RewardTestKit", .product(name: "Configuration", package: "swift-configuration")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RewardCoreTests",
            dependencies: ["RewardCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RewardFuzzTests",
            dependencies: ["RewardTestKit"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RewardSDKTests",
            dependencies: [
                "RewardSDK", "RewardCore", "RewardOps", "RewardTestKit", "Kafka", "MariaDB",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RewardSettlementTests",
            dependencies: [
                "DownstreamSimulator",
                "MariaDB",
                "RewardCore",
                "RewardOps",
                "RewardSettlement",
                "RewardTestKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RewardConsumerTests",
            dependencies: [
                "DownstreamSimulator", "Kafka", "MariaDB", "RewardConsumer", "RewardCore", "RewardOps", "RewardSDK",
                "RewardSettlement", "RewardTestKit", "RewardWallet", .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RewardOpsTests",
            dependencies: ["RewardOps", "RewardTestKit", "Kafka", "MariaDB", "RewardCore", "RewardSDK", "RewardSettlement", "RewardStores",
                           .product(name: "Configuration", package: "swift-configuration")],
            swiftSettings: strict
        ),

        // The wallet page and withdrawals that force pending rewards to settle first.
        .target(
            name: "RewardWallet",
            dependencies: [
                "MariaDB", "RewardCore", "RewardSettlement",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // The HTTP service over the SDK and the wallet: routes, request signing, limits.
        .target(
            name: "RewardAPI",
            dependencies: [
                "RewardCore", "RewardSDK", "RewardStores", "RewardWallet",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "reward-api",
            dependencies: [
                "MariaDB", "RewardAPI", "RewardCore", "RewardOps", "RewardRuntime", "RewardSDK", "RewardSettlement", "RewardStores", "RewardWallet",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The on-call's web page: the night's figures from the stores, Kafka and the daemons' metrics,
        // dead letters with a replay preview, the switches; operators sign in.
        .target(
            name: "RewardConsole",
            dependencies: [
                "MariaDB", "RewardCore", "RewardOps", "RewardSettlement",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "reward-console",
            dependencies: [
                "MariaDB", "RewardConsole", "RewardCore", "RewardOps", "RewardRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RewardConsoleTests",
            dependencies: ["MariaDB", "RewardConsole", "RewardCore", "RewardOps", "RewardTestKit",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RewardWalletTests",
            dependencies: [
                "Kafka", "MariaDB", "RewardAPI", "RewardConsumer", "RewardCore", "RewardSDK", "RewardSettlement", "RewardStores", "RewardTestKit",
                "RewardWallet",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
    ]
)
