// swift-tools-version: 6.0
// reservation-server: one executable, no third-party packages.
// Layers (dependencies point down only) are described in README.md.
import PackageDescription

let strict: [SwiftSetting] = [
    .unsafeFlags(["-warnings-as-errors"], .when(configuration: .debug)),
]

// The hot path (loops, parser, server) runs without dynamic exclusivity checks in release builds:
// they cost ~5% of CPU per request (a thread-local access set per class-property access). Debug
// builds, which run the whole test suite, keep the checks on.
let hot: [SwiftSetting] = strict + [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "reservation-server",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "reservation-server", targets: ["ReservationServer"]),
    ],
    targets: [
        // C shims: Linux headers (epoll, eventfd, signalfd) and libsqlite3.
        .target(name: "CLinux"),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),

        // Leaves: pure Swift, no I/O knowledge of the layers above.
        .target(name: "Bytes", swiftSettings: hot),
        .target(name: "Timing", swiftSettings: strict),
        .target(name: "Threading", dependencies: ["CLinux"], swiftSettings: strict),
        .target(name: "Metrics", swiftSettings: strict),
        .target(name: "Crypto", swiftSettings: strict),
        .target(name: "JSON", swiftSettings: strict),
        .target(name: "Compression", swiftSettings: hot),
        .target(name: "Logging", dependencies: ["JSON", "Timing", "Threading"], swiftSettings: strict),

        // Transport: sockets and loops, then HTTP/1.1 bytes, then the server that joins them.
        .target(name: "EventLoop", dependencies: ["CLinux", "Bytes", "Threading", "Timing"], swiftSettings: hot),
        .target(name: "HTTP1", dependencies: ["Bytes", "Timing"], swiftSettings: hot),
        .target(name: "HTTPServer", dependencies: ["EventLoop", "HTTP1", "Bytes", "JSON", "Timing", "Metrics", "Logging"], swiftSettings: hot),
        // HTTP/2 bytes: frames, HPACK and the server connection state machine, without sockets.
        .target(name: "HTTP2", dependencies: ["Bytes"], swiftSettings: hot),

        // Protocol Buffers: the binary encoding and proto3 JSON for the messages of proto/.
        .target(name: "Protobuf", dependencies: ["Bytes", "JSON", "Timing"], swiftSettings: hot),

        // Domain and storage.
        .target(name: "Reservations", dependencies: ["Timing"], swiftSettings: strict),
        .target(name: "Storage", dependencies: ["CSQLite", "Reservations", "Timing", "Threading", "Metrics"], swiftSettings: strict),

        // Who is calling: JWT (HS256, RS256 with keys from a JWKS file) and a per-loop cache of verified tokens.
        .target(name: "Auth", dependencies: ["Crypto", "JSON", "Bytes", "Threading"], swiftSettings: strict),

        // The one service every door calls: callers, validation, idempotency claims, reads and writes.
        .target(name: "Service", dependencies: ["Reservations", "Auth", "Bytes", "Crypto", "Timing"], swiftSettings: strict),

        // The RPC interface, transport-neutral: methods, messages in and out, status codes.
        .target(name: "RPC", dependencies: ["Service", "Reservations", "Protobuf", "Crypto", "Timing"], swiftSettings: strict),

        // Connect unary on the REST port: HTTP/1.1 in, RPC calls, Connect responses out.
        .target(name: "Connect", dependencies: ["RPC", "Service", "Reservations", "Protobuf", "Compression", "HTTPServer", "HTTP1", "JSON", "Bytes", "Timing"], swiftSettings: strict),

        // gRPC over HTTP/2 cleartext on its own port, on the same event loops.
        .target(name: "GRPC", dependencies: ["HTTP2", "RPC", "Service", "Reservations", "Protobuf", "Compression", "EventLoop", "Bytes", "Metrics", "Logging", "Timing"], swiftSettings: hot),

        // Outbox delivery: the pull feed's parked requests and streams, and the webhook relay.
        .target(name: "Outbox", dependencies: ["Reservations", "Threading", "Timing", "Metrics", "Logging"], swiftSettings: strict),

        // The OpenAPI 3.1 document of the router's routes, from descriptions given beside them, and Swagger UI.
        .target(name: "OpenAPI", dependencies: ["HTTPServer", "HTTP1", "JSON", "Crypto"], swiftSettings: strict),

        // REST handlers: JSON shapes in and out, error mapping.
        .target(name: "API", dependencies: ["Service", "Outbox", "HTTPServer", "HTTP1", "Reservations", "JSON", "Crypto", "Metrics", "Logging", "Timing", "OpenAPI"], swiftSettings: strict),

        // The executable: configuration, wiring, signals, start-up recovery.
        .executableTarget(
            name: "ReservationServer",
            dependencies: ["API", "Auth", "Outbox", "Connect", "GRPC", "HTTP2", "RPC", "Protobuf", "Service", "Storage", "HTTPServer", "HTTP1", "EventLoop", "Logging", "Timing", "Threading", "Metrics", "CLinux", "OpenAPI"],
            swiftSettings: strict
        ),

        // libFuzzer entry point for the HTTP/1.1 parser (see Sources/HTTP1Fuzz/Fuzz.swift).
        .executableTarget(name: "HTTP1Fuzz", dependencies: ["HTTP1"], exclude: ["http.dict", "seeds"], swiftSettings: strict),
        // libFuzzer entry point for the gzip, zlib and DEFLATE decoders (see Sources/InflateFuzz/Fuzz.swift).
        .executableTarget(name: "InflateFuzz", dependencies: ["Compression"], exclude: ["seeds"], swiftSettings: strict),
        // libFuzzer entry point for the protobuf binary and JSON decoders (see Sources/ProtobufFuzz/Fuzz.swift).
        .executableTarget(name: "ProtobufFuzz", dependencies: ["Protobuf"], exclude: ["seeds"], swiftSettings: strict),
        // libFuzzer entry point for the HTTP/2 connection and the HPACK decoder (see Sources/HTTP2Fuzz/Fuzz.swift).
        .executableTarget(name: "HTTP2Fuzz", dependencies: ["HTTP2"], exclude: ["seeds"], swiftSettings: strict),

        // Prints RS256 (2048-bit) and HS256 verification times (scripts/bench.sh; release build).
        .executableTarget(name: "AuthBench", dependencies: ["Auth", "Crypto", "Bytes"], swiftSettings: strict),
        // A load generator for unary gRPC calls with a unique idempotency key each (scripts/bench-grpc.sh).
        .executableTarget(name: "GRPCLoad", dependencies: ["HTTP2", "Timing"], swiftSettings: strict),

        // Shared by the test targets: a blocking HTTP client for live socket tests, promtool, and a
        // seeded random generator.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TimingTests", dependencies: ["Timing", "TestSupport"]),
        .testTarget(name: "BytesTests", dependencies: ["Bytes"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "TestSupport"]),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto", "JSON", "TestSupport"]),
        .testTarget(name: "AuthTests", dependencies: ["Auth", "Crypto", "JSON"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON", "TestSupport"]),
        .testTarget(name: "CompressionTests", dependencies: ["Compression", "TestSupport"], exclude: ["make-fixtures.py"]),
        // make-fixtures.py and testdata/ generate Fixtures.swift with protobuf's Python library.
        .testTarget(name: "ProtobufTests", dependencies: ["Protobuf", "JSON", "TestSupport"], exclude: ["make-fixtures.py", "testdata"]),
        .testTarget(name: "EventLoopTests", dependencies: ["EventLoop", "Bytes", "CLinux"]),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1", "Bytes", "TestSupport"]),
        .testTarget(name: "HTTP2Tests", dependencies: ["HTTP2", "Bytes", "TestSupport"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "EventLoop", "HTTP1", "Bytes", "TestSupport"]),
        .testTarget(name: "ReservationsTests", dependencies: ["Reservations", "Timing"]),
        .testTarget(name: "OutboxTests", dependencies: ["Outbox", "Reservations"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "Reservations", "Timing", "CSQLite", "TestSupport"]),
        .testTarget(name: "ServiceTests", dependencies: ["Service", "Reservations", "Timing", "Auth", "Crypto", "Bytes", "TestSupport"]),
        // ReflectionFixtures.swift is written by Tests/ProtobufTests/make-fixtures.py.
        .testTarget(name: "RPCTests", dependencies: ["RPC", "Protobuf", "Service", "Reservations", "Crypto"]),
        .testTarget(name: "ConnectTests", dependencies: ["Connect", "RPC", "Service", "Storage", "Protobuf", "Reservations", "EventLoop", "HTTPServer", "TestSupport"]),
        .testTarget(name: "APITests", dependencies: ["API", "Service", "Storage", "HTTPServer", "Reservations", "JSON", "TestSupport"]),
        .testTarget(name: "OpenAPITests", dependencies: ["OpenAPI", "API", "HTTPServer", "HTTP1", "JSON"]),
        // Drives the built `reservation-server` binary over real sockets and signals.
        .testTarget(name: "ReservationServerTests", dependencies: ["ReservationServer", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
