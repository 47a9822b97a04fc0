// swift-tools-version: 6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "EnterpriseSync",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "esync-agent", targets: ["esync-agent"]),
        .executable(name: "esync-aggregator", targets: ["esync-aggregator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: [.defaults, "YAML"]),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Already in the graph through Hummingbird; used directly for the aggregator's TLS and
        // to read the bureau's client certificate off the connection.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // The province's register on PostgreSQL (several aggregator instances on one database).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        // The review pages' templates (embedded as string literals, see Sources/Aggregator/Web).
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // Already in the graph through swift-configuration; used directly for the field policy,
        // whose errors must name the line.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Already in the graph through Hummingbird; imported directly by the aggregator's HTTP
        // code (HTTPTypes: requests and answers; NIOCore: byte buffers, channels, errors).
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        // Already in the graph through swift-configuration; ConfigSupport names its files by
        // SystemPackage's FilePath.
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        // The zip container of xlsx workbooks (record import/export of spreadsheets).
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // libcurl and zlib through a module map and a small header of non-variadic wrappers.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev", "zlib1g-dev"])]
        ),
        // zlib's gz* file functions, for the register's backups.
        .systemLibrary(name: "CEsyncZlib", providers: [.apt(["zlib1g-dev"])]),
        // zstd, the change sets' compression where the province takes it: five times faster
        // than gzip on both sides, and smaller.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // syncfs(2), which needs _GNU_SOURCE and so is not in Swift's Glibc module.
        .target(name: "CPosix"),
        // SQLite set up as the process loads, before anything opens a register (its memory
        // statistics off: see CSQLiteSetup.c).
        .target(name: "CSQLiteSetup", linkerSettings: [.linkedLibrary("sqlite3")]),
        .target(
            name: "EnterpriseModel",
            swiftSettings: strict
        ),
        // xlsx workbooks read and written as records (Foundation's XMLParser, ZIPFoundation's zip).
        .target(
            name: "Spreadsheet",
            dependencies: ["EnterpriseModel", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: strict
        ),
        .target(
            name: "SyncCore",
            dependencies: [
                "EnterpriseModel",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CurlHTTP",
            dependencies: ["CCurl", "CZstd"],
            swiftSettings: strict
        ),
        // Both configurations: swift-configuration for the values, Yams for the line of each key,
        // so that an unknown key is an error naming its line.
        .target(
            name: "ConfigSupport",
            dependencies: [
                "EnterpriseModel",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Agent",
            dependencies: [
                "EnterpriseModel", "SyncCore", "CurlHTTP", "CPosix", "CEsyncZlib", "ConfigSupport", "Spreadsheet",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Aggregator",
            dependencies: [
                "EnterpriseModel", "SyncCore", "ConfigSupport", "Spreadsheet", "CEsyncZlib", "CZstd", "CSQLiteSetup",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for binding a batch's values without converting them again.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // The event loop group PostgresNIO's connections run on (PostgresSession).
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: strict
        ),
        // What both command lines share: the documented exit codes (`ExitCode`), how an error
        // ends a command (`CommandReporter`), JSON output, tables, progress bars and the options
        // of a record export.
        .target(
            name: "CommandSupport",
            dependencies: ["EnterpriseModel", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "esync-agent",
            dependencies: [
                "Agent", "CommandSupport", "EnterpriseModel", "SyncCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The province's merge in process against its storage floor (Benchmarks/MergeBench).
        .executableTarget(
            name: "merge-bench",
            dependencies: ["Aggregator", "EnterpriseModel", "SyncCore", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Benchmarks/MergeBench",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "esync-aggregator",
            dependencies: [
                "Aggregator", "CommandSupport", "EnterpriseModel", "SyncCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict,
            // jemalloc (Debian's libjemalloc2), linked as a shared library so that it replaces
            // malloc for every library in the process (libc's own strdup, SQLite, zlib): see
            // docs/operations.md. A first upload allocates and frees tens of small objects per
            // record on several threads; glibc's malloc spent a ninth of the province's CPU on
            // them. (The static archive cannot be used: `--static-swift-stdlib` links with
            // `--exclude-libs ALL`, which would hide its malloc from the shared libraries and
            // leave two heaps in one process.) The agent keeps glibc's malloc for its peak memory.
            linkerSettings: [.linkedLibrary("jemalloc", .when(platforms: [.linux]))]
        ),
        .testTarget(name: "EnterpriseModelTests", dependencies: ["EnterpriseModel"], swiftSettings: strict),
        .testTarget(name: "SpreadsheetTests", dependencies: ["Spreadsheet", "EnterpriseModel", .product(name: "ZIPFoundation", package: "ZIPFoundation")], swiftSettings: strict),
        .testTarget(name: "SyncCoreTests", dependencies: ["SyncCore", "EnterpriseModel"], swiftSettings: strict),
        .testTarget(name: "CurlHTTPTests", dependencies: ["CurlHTTP", "CCurl", "CZstd", "EndToEndSupport"], swiftSettings: strict),
        // EndToEndSupport: TemporaryFolder, so that a test leaves no folder behind (in both).
        .testTarget(name: "AgentTests", dependencies: ["Agent", "SyncCore", "EnterpriseModel", "ConfigSupport", "EndToEndSupport", .product(name: "Logging", package: "swift-log")], swiftSettings: strict),
        .testTarget(name: "AggregatorTests", dependencies: [
            "Aggregator", "ConfigSupport", "EnterpriseModel", "SyncCore", "CZstd", "CSQLiteSetup",
            // TemporaryFolder, and the PostgreSQL cluster the register's tests use with
            // ESYNC_TEST_BACKEND=postgresql.
            "EndToEndSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Yams", package: "Yams"),
            // The API's routes in process (`APIRouteTests`), without a real server.
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ], swiftSettings: strict),
        // The agent's sync against the province's API in process (its router without a socket,
        // Hummingbird's test framework): the convergence property test over hundreds of seeds.
        .testTarget(name: "InProcessSyncTests", dependencies: [
            "Agent", "Aggregator", "SyncCore", "EnterpriseModel", "CurlHTTP", "EndToEndSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ], swiftSettings: strict),
        // The real binaries (built by `swift build`) started on loopback, real agents, a fault
        // proxy, a scriptable HTTP server (the libcurl tests' peer, and a fake province): what
        // the end-to-end, reliability and libcurl tests share (imported @testable).
        .target(name: "EndToEndSupport", dependencies: ["EnterpriseModel", "SyncCore", "CurlHTTP", .product(name: "Yams", package: "Yams")],
                path: "Tests/EndToEndSupport", swiftSettings: strict),
        // Fixtures/: files the tests read by path (an older version's register as SQL).
        .testTarget(name: "EndToEndTests", dependencies: ["EndToEndSupport", "EnterpriseModel", "SyncCore", "CurlHTTP"], exclude: ["Fixtures"],
                    swiftSettings: strict),
        // Crashes at every step, a full disk, a faulty network, random histories, 18 bureaus at
        // once: each asserts that nothing was lost or applied twice. Bounded for CI; the
        // ESYNC_* variables in each suite make a soak of it.
        .testTarget(name: "ReliabilityTests", dependencies: ["EndToEndSupport", "EnterpriseModel", "SyncCore"], swiftSettings: strict),
    ]
)
