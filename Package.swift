// swift-tools-version: 6.2
// evcsm — EV charging session manager. Layout and dependency rules: ../shared/DESIGN.md §2.
import PackageDescription

/// The seven function executables. Each is a thin `@main` over a handler in ChargingCore.
let functionNames = [
    "GetStatus", "StartSession", "StopSession", "ListSessions", "GetSession", "ChargingUpdates", "MeterValues",
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
    ],
    targets: functionTargets + [
        // MARK: System-library shims
        .systemLibrary(
            name: "CCurl", path: "Runtime/CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(
            name: "CMongoc", path: "Runtime/CMongoc", pkgConfig: "libmongoc-1.0",
            providers: [.apt(["libmongoc-dev"])]),
        .systemLibrary(
            name: "CMosquitto", path: "Runtime/CMosquitto", pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]),
        /// Pins glibc symbol versions so release binaries run on Amazon Linux 2023 (glibc 2.34).
        .target(name: "CGlibcCompat", path: "Runtime/CGlibcCompat"),

        // MARK: Function side (FoundationEssentials + libcurl only)
        .target(
            name: "FunctionRuntime",
            dependencies: ["CCurl", .product(name: "Logging", package: "swift-log")],
            path: "Runtime/FunctionRuntime"
        ),
        .target(
            name: "DataAPI",
            dependencies: ["FunctionRuntime", .product(name: "Logging", package: "swift-log")],
            path: "Runtime/DataAPI"
        ),
        .target(
            name: "ChargingCore",
            dependencies: ["FunctionRuntime", "DataAPI", .product(name: "Logging", package: "swift-log")],
            path: "Functions/ChargingCore"
        ),

        // MARK: Server side (may use Hummingbird, GRDB, libmongoc, libmosquitto)
        .target(
            name: "DataAPIServer",
            dependencies: [
                "DataAPI", "CMongoc",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Runtime/DataAPIServer"
        ),
        .executableTarget(
            name: "evcsm-data-api",
            dependencies: [
                "DataAPIServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Runtime/evcsm-data-api"
        ),
        .target(
            name: "LocalRunner",
            dependencies: [
                "DataAPIServer", "FunctionRuntime", "CMosquitto",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Runtime/LocalRunner"
        ),
        .executableTarget(
            name: "evcsm-local",
            dependencies: [
                "LocalRunner", "FunctionRuntime", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Runtime/evcsm-local"
        ),
        .executableTarget(
            name: "evcsm-charger-sim",
            dependencies: [
                "LocalRunner", "FunctionRuntime", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Runtime/evcsm-charger-sim"
        ),

        // MARK: Tests
        .target(
            name: "TestSupport",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "FunctionRuntimeTests",
            dependencies: ["FunctionRuntime", "TestSupport"],
            path: "Tests/FunctionRuntimeTests"
        ),
        .testTarget(
            name: "DataAPITests",
            dependencies: ["DataAPI", "TestSupport"],
            path: "Tests/DataAPITests"
        ),
        .testTarget(
            name: "ChargingCoreTests",
            dependencies: ["ChargingCore", "FunctionRuntime", "DataAPI", "TestSupport"],
            path: "Tests/ChargingCoreTests"
        ),
        .testTarget(
            name: "DataAPIServerTests",
            dependencies: [
                "DataAPIServer", "DataAPI", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/DataAPIServerTests"
        ),
        .testTarget(
            name: "LocalRunnerTests",
            dependencies: [
                "LocalRunner", "FunctionRuntime", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/LocalRunnerTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
