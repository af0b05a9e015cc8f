// swift-tools-version: 6.2
// evcsm — EV charging session manager. Layout and dependency rules: ../shared/DESIGN.md §2.
import PackageDescription

/// The sixteen function executables. Each is a thin `@main` over a handler in ChargingCore.
let functionNames = [
    "GetStatus", "StartSession", "StopSession", "ListSessions", "GetSession", "ChargingUpdates", "MeterValues",
    "ExpireSessions", "RegisterCharger", "MqttAuthorizer", "OcppConnect", "OcppDisconnect", "OcppMessage", "PutIdTag",
    "ListChargers", "SendChargerCommand",
]

let functionTargets: [Target] = functionNames.map { name in
    .executableTarget(
        name: name,
        dependencies: ["ChargingCore", "FunctionRuntime", "CGlibcCompat"],
        path: "Functions/\(name)"
    )
}

let package = Package(
    name: "evcsm",
    platforms: [.macOS(.v15)],
    products: functionNames.map { .executable(name: $0, targets: [$0]) } + [
        .executable(name: "evcsm-local", targets: ["evcsm-local"]),
        .executable(name: "evcsm-data-api", targets: ["evcsm-data-api"]),
        .executable(name: "evcsm-charger-sim", targets: ["evcsm-charger-sim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", exact: "1.0.2"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/vapor/jwt-kit", exact: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", exact: "2.8.1"),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
    ],
    targets: functionTargets + [
        // MARK: System-library shims
        // libcurl's headers only: FunctionRuntime loads the library on first use (Runtime/CCurl/shim.h).
        .systemLibrary(name: "CCurl", path: "Runtime/CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(
            name: "CMongoc", path: "Runtime/CMongoc", pkgConfig: "libmongoc-1.0",
            providers: [.apt(["libmongoc-dev"])]),
        .systemLibrary(
            name: "CMosquitto", path: "Runtime/CMosquitto", pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]),
        /// Pins glibc symbol versions so release binaries run on Amazon Linux 2023 (glibc 2.34).
        .target(name: "CGlibcCompat", path: "Runtime/CGlibcCompat"),
        /// The address of Swift concurrency's global-executor hook, resolved by the linker (static builds too).
        .target(name: "CConcurrencyHook", path: "Runtime/CConcurrencyHook"),
        /// Swift concurrency's global executor on SwiftNIO's event loops (evcsm-local and evcsm-data-api).
        .target(
            name: "EventLoopGlobalExecutor",
            dependencies: [
                "CConcurrencyHook", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Runtime/EventLoopGlobalExecutor"
        ),

        // MARK: Shared by every module (FoundationEssentials only)
        /// `CodedError` and the ISO-8601 `Timestamp`: what the function side and the server side share.
        .target(name: "Essentials", path: "Runtime/Essentials"),
        /// BSON values and Extended JSON v2; no libcurl, no FunctionRuntime.
        .target(name: "BSON", dependencies: ["Essentials"], path: "Runtime/BSON"),
        /// Wire types of `session/updates`, `charging/updates` and meter readings (ChargingCore + simulator).
        .target(name: "ChargingWire", dependencies: ["Essentials"], path: "Runtime/ChargingWire"),
        /// AWS SigV4: one canonicalization for the functions' signer and evcsm-local's verifier.
        .target(
            name: "SigV4", dependencies: ["Essentials", .product(name: "Crypto", package: "swift-crypto")],
            path: "Runtime/SigV4"),

        // MARK: Function side (FoundationEssentials + libcurl only)
        .target(
            name: "FunctionRuntime",
            dependencies: ["CCurl", "Essentials", .product(name: "Logging", package: "swift-log")],
            path: "Runtime/FunctionRuntime"
        ),
        .target(
            name: "DataAPI",
            dependencies: ["BSON", "Essentials", "FunctionRuntime", .product(name: "Logging", package: "swift-log")],
            path: "Runtime/DataAPI"
        ),
        .target(
            name: "ChargingCore",
            dependencies: [
                "FunctionRuntime", "DataAPI", "BSON", "ChargingWire", "Essentials", "SigV4",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Functions/ChargingCore"
        ),
        /// Test doubles of ChargingCore's collaborators; linked by tests only, never by a shipped binary.
        .target(
            name: "ChargingCoreTesting",
            dependencies: ["ChargingCore", "Essentials"],
            path: "Functions/ChargingCoreTesting"
        ),

        // MARK: Server side (may use Hummingbird, GRDB, libmongoc, libmosquitto)
        .target(
            name: "DataAPIServer",
            dependencies: [
                "BSON", "Essentials", "CMongoc",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Runtime/DataAPIServer"
        ),
        .executableTarget(
            name: "evcsm-data-api",
            dependencies: [
                "DataAPIServer", "EventLoopGlobalExecutor",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Runtime/evcsm-data-api"
        ),
        /// Child processes on swift-subprocess: default signal mask and dispositions, killed with their parent.
        .target(
            name: "ChildProcesses",
            dependencies: [
                "Essentials",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Runtime/ChildProcesses"
        ),
        .target(
            name: "LocalRunner",
            dependencies: [
                "BSON", "FunctionRuntime", "Essentials", "ChildProcesses", "CMosquitto", "SigV4",
                "EventLoopGlobalExecutor",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Runtime/LocalRunner"
        ),
        /// Simulated chargers: follow `session/updates`, publish meter readings (the only charging knowledge
        /// on the runner side, kept out of LocalRunner).
        .target(
            name: "ChargerSimulator",
            dependencies: [
                "LocalRunner", "FunctionRuntime", "ChargingWire", "Essentials",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ],
            path: "Runtime/ChargerSimulator"
        ),
        .executableTarget(
            name: "evcsm-local",
            dependencies: [
                "LocalRunner", "ChargerSimulator", "FunctionRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Runtime/evcsm-local"
        ),
        .executableTarget(
            name: "evcsm-charger-sim",
            dependencies: [
                "ChargerSimulator", "LocalRunner", "FunctionRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Runtime/evcsm-charger-sim"
        ),

        // MARK: Tests
        .target(
            name: "TestSupport",
            dependencies: ["ChildProcesses", .product(name: "Hummingbird", package: "hummingbird")],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "FunctionRuntimeTests",
            dependencies: ["FunctionRuntime", "Essentials", "TestSupport"],
            path: "Tests/FunctionRuntimeTests"
        ),
        .testTarget(
            name: "DataAPITests",
            dependencies: ["DataAPI", "BSON", "Essentials", "TestSupport"],
            path: "Tests/DataAPITests"
        ),
        .testTarget(
            name: "BSONTests",
            dependencies: ["BSON", "Essentials"],
            path: "Tests/BSONTests"
        ),
        .testTarget(
            name: "ChargingWireTests",
            dependencies: ["ChargingWire", "Essentials"],
            path: "Tests/ChargingWireTests"
        ),
        .testTarget(
            name: "ChargingCoreTests",
            dependencies: [
                "ChargingCore", "ChargingCoreTesting", "ChargingWire", "FunctionRuntime", "DataAPI", "BSON",
                "Essentials", "SigV4",
                "TestSupport",
            ],
            path: "Tests/ChargingCoreTests"
        ),
        .testTarget(
            name: "DataAPIServerTests",
            dependencies: [
                "DataAPIServer", "DataAPI", "BSON", "Essentials", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/DataAPIServerTests"
        ),
        .testTarget(
            name: "LocalRunnerTests",
            dependencies: [
                "LocalRunner", "ChargerSimulator", "ChargingWire", "ChildProcesses", "FunctionRuntime", "Essentials",
                "SigV4", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ],
            path: "Tests/LocalRunnerTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
