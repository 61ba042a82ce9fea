import EventLoop
import Glibc
import HTTPServer
import GRPC
import Logging
import Outbox
import OpenAPI
import Reservations

/// Everything the server can be told at start-up; every knob has a flag and an environment twin.
struct Configuration: Sendable {
    var host = "0.0.0.0"
    var port = 8010
    /// gRPC (HTTP/2 cleartext) port; 0 picks a free one.
    var grpcPort = 8011
    var grpc = GRPCConfiguration()
    var threadCount = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    var connectionsMax = 10_000
    var shutdownGraceSeconds = 10.0
    var logLevel = LogLevel.info
    var http = HTTPServerConfiguration()
    var databasePath = "./data/reservations.db"
    var demo = false
    var synchronousFull = true
    var writerQueueCapacity = 8192
    var writerBatchLimit = 512
    var accessLogSampleRate = 1.0
    var holdPolicy = HoldPolicy()
    /// `--max-hold-seconds` when given; otherwise holds may live 600 s, or as long as one hold when
    /// `--hold-seconds` is longer.
    var maxHoldMilliseconds: Int64?
    var quantityMax = 10
    var idempotencyTTLMilliseconds: Int64 = 300_000
    var expiryTickMilliseconds: Int64 = 10
    var idempotencyKeysMax = 16_000_000
    /// Outbox delivery: the webhook (none: the pull feed and stream only) and its limits.
    var outbox = OutboxSettings()
    /// Where the Swagger UI page loads Swagger UI's files from (`swagger-ui.css`, `swagger-ui-bundle.js`).
    var swaggerUIAssetsURL = DocsRoutes.defaultAssetsURL
    /// Authentication and the limits per caller.
    var access = AccessConfiguration()
    /// Largest RPC request message (Connect and gRPC), after decompression.
    var rpcMessageBytesMax: Int {
        get { grpc.messageBytesMax }
        set { grpc.messageBytesMax = newValue }
    }

    /// Cross-checks how the limits relate; returns a message for the first problem.
    func validate() -> String? {
        if http.limits.requestLineBytesMax < 16 { return "--request-line-bytes-max must be at least 16" }
        if http.limits.headerBlockBytesMax < 64 { return "--header-block-bytes-max must be at least 64" }
        if http.pendingOutputBytesMax < 4096 { return "--pending-output-bytes-max must be at least 4096" }
        if grpcPort != 0 && grpcPort == port { return "--grpc-port must differ from --port" }
        if let maxHoldMilliseconds, maxHoldMilliseconds < holdPolicy.holdMilliseconds {
            return "--max-hold-seconds must be at least --hold-seconds"
        }
        return nil
    }
}

/// A problem with the command line or environment; the process exits 2 with this message.
struct ConfigurationError: Error, CustomStringConvertible {
    let description: String
}

/// One option: its flag, environment twin, default as shown in `--help`, and how to apply a value.
struct OptionSpec: Sendable {
    let flag: String
    let environment: String?
    let valueName: String?
    let help: String
    let apply: @Sendable (inout Configuration, String) throws(ConfigurationError) -> Void

    var isSwitch: Bool { valueName == nil }
}

enum ConfigurationParser {
    static let options: [OptionSpec] = [
        OptionSpec(flag: "--host", environment: "SERVER_HOST", valueName: "ADDRESS", help: "address to listen on (default 0.0.0.0)") { config, value throws(ConfigurationError) in
            guard !value.isEmpty else { throw ConfigurationError(description: "--host must not be empty") }
            config.host = value
        },
        OptionSpec(flag: "--port", environment: "SERVER_PORT", valueName: "PORT", help: "HTTP port; 0 picks a free one and the log says which (default 8010)") { config, value throws(ConfigurationError) in
            config.port = try integer(value, "--port", 0...65535)
        },
        OptionSpec(flag: "--grpc-port", environment: "GRPC_SERVER_PORT", valueName: "PORT", help: "gRPC port (HTTP/2 cleartext, prior knowledge); 0 picks a free one and the log says which (default 8011)") { config, value throws(ConfigurationError) in
            config.grpcPort = try integer(value, "--grpc-port", 0...65535)
        },
        OptionSpec(flag: "--grpc-max-concurrent-streams", environment: "GRPC_MAX_CONCURRENT_STREAMS", valueName: "N", help: "streams one HTTP/2 connection may have open; more are refused (default 128)") { config, value throws(ConfigurationError) in
            config.grpc.http2.maxConcurrentStreams = try integer(value, "--grpc-max-concurrent-streams", 1...10_000)
        },
        OptionSpec(flag: "--grpc-max-header-list-bytes", environment: "GRPC_MAX_HEADER_LIST_BYTES", valueName: "BYTES", help: "largest HTTP/2 header list (metadata) of a call (default 16384)") { config, value throws(ConfigurationError) in
            config.grpc.http2.maxHeaderListSize = try integer(value, "--grpc-max-header-list-bytes", 1_024...1_048_576)
        },
        OptionSpec(flag: "--grpc-max-frame-bytes", environment: "GRPC_MAX_FRAME_BYTES", valueName: "BYTES", help: "largest HTTP/2 frame payload accepted, 16384 to 16777215 (default 16384)") { config, value throws(ConfigurationError) in
            config.grpc.http2.maxFrameSize = try integer(value, "--grpc-max-frame-bytes", 16_384...16_777_215)
        },
        OptionSpec(flag: "--threads", environment: "THREADS", valueName: "N", help: "event-loop threads (default: the number of cores)") { config, value throws(ConfigurationError) in
            config.threadCount = try integer(value, "--threads", 1...256)
        },
        OptionSpec(flag: "--max-connections", environment: "MAX_CONNECTIONS", valueName: "N", help: "open connections at most; beyond it the listener pauses (default 10000)") { config, value throws(ConfigurationError) in
            config.connectionsMax = try integer(value, "--max-connections", 1...1_000_000)
        },
        OptionSpec(flag: "--shutdown-grace-seconds", environment: "SHUTDOWN_GRACE_SECONDS", valueName: "SECONDS", help: "time in-flight requests get to finish on SIGTERM/SIGINT (default 10)") { config, value throws(ConfigurationError) in
            config.shutdownGraceSeconds = try decimal(value, "--shutdown-grace-seconds", 0...3600)
        },
        OptionSpec(flag: "--log-level", environment: "LOG_LEVEL", valueName: "LEVEL", help: "debug, info, warn or error (default info)") { config, value throws(ConfigurationError) in
            guard let level = LogLevel(name: value) else { throw ConfigurationError(description: "--log-level must be one of debug, info, warn, error (got \"\(value)\")") }
            config.logLevel = level
        },
        OptionSpec(flag: "--db", environment: "DB_PATH", valueName: "PATH", help: "SQLite database file; directories are created (default ./data/reservations.db)") { config, value throws(ConfigurationError) in
            guard !value.isEmpty else { throw ConfigurationError(description: "--db must not be empty") }
            config.databasePath = value
        },
        OptionSpec(flag: "--demo", environment: "DEMO", valueName: nil, help: "create the demo event evt_2025_1001 (A-E x 100 seats, 10000 KRW) if it is missing") { config, value throws(ConfigurationError) in
            config.demo = value == "true"
        },
        OptionSpec(flag: "--hold-seconds", environment: "HOLD_SECONDS", valueName: "SECONDS", help: "how long a hold lasts before it expires; fractions allowed (default 60)") { config, value throws(ConfigurationError) in
            config.holdPolicy.holdMilliseconds = Int64((try decimal(value, "--hold-seconds", 0.01...86_400) * 1000).rounded())
        },
        OptionSpec(flag: "--max-hold-extensions", environment: "MAX_HOLD_EXTENSIONS", valueName: "N", help: "how often one hold may be extended (default 1)") { config, value throws(ConfigurationError) in
            config.holdPolicy.maxExtensions = try integer(value, "--max-hold-extensions", 0...100)
        },
        OptionSpec(flag: "--max-hold-seconds", environment: "MAX_HOLD_SECONDS", valueName: "SECONDS", help: "latest deadline an extended hold may reach, counted from its creation (default 600, or --hold-seconds when longer)") { config, value throws(ConfigurationError) in
            config.maxHoldMilliseconds = Int64((try decimal(value, "--max-hold-seconds", 0.01...604_800) * 1000).rounded())
        },
        OptionSpec(flag: "--expiry-tick-ms", environment: "EXPIRY_TICK_MS", valueName: "MS", help: "resolution of the hold-expiry timer wheel; an idle server expires a hold at most this late (default 10)") { config, value throws(ConfigurationError) in
            config.expiryTickMilliseconds = Int64(try integer(value, "--expiry-tick-ms", 1...1000))
        },
        OptionSpec(flag: "--idempotency-ttl-seconds", environment: "IDEMPOTENCY_TTL_SECONDS", valueName: "SECONDS", help: "how long an Idempotency-Key is remembered (default 300)") { config, value throws(ConfigurationError) in
            config.idempotencyTTLMilliseconds = Int64((try decimal(value, "--idempotency-ttl-seconds", 1...604_800) * 1000).rounded())
        },
        OptionSpec(flag: "--idempotency-keys-max", environment: "IDEMPOTENCY_KEYS_MAX", valueName: "N", help: "keys remembered at once (at most 64 bytes of memory each; the responses stay on disk); beyond it a new key gets 503, so keys-max / ttl is the sustained rate of new keys (default 16000000: 53,333/s with a 300 s TTL)") { config, value throws(ConfigurationError) in
            config.idempotencyKeysMax = try integer(value, "--idempotency-keys-max", 1_000...100_000_000)
        },
        OptionSpec(flag: "--max-quantity", environment: "MAX_QUANTITY", valueName: "N", help: "most seats one reservation may hold (default 10)") { config, value throws(ConfigurationError) in
            config.quantityMax = try integer(value, "--max-quantity", 1...1000)
        },
        OptionSpec(flag: "--synchronous", environment: "DB_SYNCHRONOUS", valueName: "MODE", help: "FULL (a 2xx is on disk, default) or NORMAL (faster; the last commits may be lost on power loss)") { config, value throws(ConfigurationError) in
            switch value.uppercased() {
            case "FULL": config.synchronousFull = true
            case "NORMAL": config.synchronousFull = false
            default: throw ConfigurationError(description: "--synchronous must be FULL or NORMAL (got \"\(value)\")")
            }
        },
        OptionSpec(flag: "--writer-queue-capacity", environment: "WRITER_QUEUE_CAPACITY", valueName: "N", help: "changes waiting for the writer before new ones get 503 (default 8192)") { config, value throws(ConfigurationError) in
            config.writerQueueCapacity = try integer(value, "--writer-queue-capacity", 1...1_000_000)
        },
        OptionSpec(flag: "--writer-batch-max", environment: "WRITER_BATCH_MAX", valueName: "N", help: "changes committed together in one transaction at most (default 512)") { config, value throws(ConfigurationError) in
            config.writerBatchLimit = try integer(value, "--writer-batch-max", 1...100_000)
        },
        OptionSpec(flag: "--access-log-sample-rate", environment: "ACCESS_LOG_SAMPLE_RATE", valueName: "FRACTION", help: "share of requests that get an access log line: 1 all (default), 0.01 one in a hundred, 0 none") { config, value throws(ConfigurationError) in
            config.accessLogSampleRate = try decimal(value, "--access-log-sample-rate", 0...1)
        },
        OptionSpec(flag: "--rpc-message-bytes-max", environment: "RPC_MESSAGE_BYTES_MAX", valueName: "BYTES", help: "largest RPC request message (Connect, gRPC), also after decompression; larger → resource_exhausted (default 4194304)") { config, value throws(ConfigurationError) in
            config.rpcMessageBytesMax = try integer(value, "--rpc-message-bytes-max", 1_024...(64 * 1_048_576))
        },
        OptionSpec(flag: "--swagger-ui-assets-url", environment: "SWAGGER_UI_ASSETS_URL", valueName: "URL", help: "where /swagger-ui.html loads Swagger UI 5 (swagger-ui.css, swagger-ui-bundle.js) from: an http(s) URL or a path on this server (default \(DocsRoutes.defaultAssetsURL))") { config, value throws(ConfigurationError) in
            guard DocsRoutes.isValidAssetsURL(value) else {
                throw ConfigurationError(description: "--swagger-ui-assets-url must be an http:// or https:// URL with a host, or a path starting with /, without quotes, spaces or angle brackets (got \"\(value)\")")
            }
            config.swaggerUIAssetsURL = value
        },
        OptionSpec(flag: "--request-line-bytes-max", environment: "REQUEST_LINE_BYTES_MAX", valueName: "BYTES", help: "longest request line; longer → 414 (default 8192)") { config, value throws(ConfigurationError) in
            config.http.limits.requestLineBytesMax = try integer(value, "--request-line-bytes-max", 1...1_048_576)
        },
        OptionSpec(flag: "--header-block-bytes-max", environment: "HEADER_BLOCK_BYTES_MAX", valueName: "BYTES", help: "largest header block; larger → 431 (default 16384)") { config, value throws(ConfigurationError) in
            config.http.limits.headerBlockBytesMax = try integer(value, "--header-block-bytes-max", 1...1_048_576)
        },
        OptionSpec(flag: "--header-count-max", environment: "HEADER_COUNT_MAX", valueName: "N", help: "most header fields; more → 431 (default 100)") { config, value throws(ConfigurationError) in
            config.http.limits.headerCountMax = try integer(value, "--header-count-max", 1...10_000)
        },
        OptionSpec(flag: "--body-bytes-max", environment: "BODY_BYTES_MAX", valueName: "BYTES", help: "largest request body; larger → 413 (default 1048576)") { config, value throws(ConfigurationError) in
            config.http.limits.bodyBytesMax = try integer(value, "--body-bytes-max", 0...(64 * 1_048_576))
        },
        OptionSpec(flag: "--head-timeout-seconds", environment: "HEAD_TIMEOUT_SECONDS", valueName: "SECONDS", help: "a request must arrive within this of its first byte, else 408 (default 10)") { config, value throws(ConfigurationError) in
            config.http.headTimeoutMilliseconds = Int64(try decimal(value, "--head-timeout-seconds", 0.1...3600) * 1000)
        },
        OptionSpec(flag: "--idle-timeout-seconds", environment: "IDLE_TIMEOUT_SECONDS", valueName: "SECONDS", help: "idle keep-alive connections close after this (default 60)") { config, value throws(ConfigurationError) in
            config.http.idleTimeoutMilliseconds = Int64(try decimal(value, "--idle-timeout-seconds", 0.1...86400) * 1000)
        },
        OptionSpec(flag: "--pending-output-bytes-max", environment: "PENDING_OUTPUT_BYTES_MAX", valueName: "BYTES", help: "unsent bytes per connection before its requests stop being read (default 1048576)") { config, value throws(ConfigurationError) in
            config.http.pendingOutputBytesMax = try integer(value, "--pending-output-bytes-max", 1...(256 * 1_048_576))
        },
        OptionSpec(flag: "--outbox-webhook-url", environment: "OUTBOX_WEBHOOK_URL", valueName: "URL", help: "POST every outbox event to this http:// URL, at least once (no TLS; default: none, pull feed only)") { config, value throws(ConfigurationError) in
            switch WebhookTarget.parse(value) {
            case .success(let target): config.outbox.webhook = target
            case .failure(let error): throw ConfigurationError(description: "--outbox-webhook-url \(error.reason) (got \"\(value)\")")
            }
        },
        OptionSpec(flag: "--outbox-max-attempts", environment: "OUTBOX_MAX_ATTEMPTS", valueName: "N", help: "failed webhook attempts after which an event is dead (default 20)") { config, value throws(ConfigurationError) in
            config.outbox.policy.maxAttempts = try integer(value, "--outbox-max-attempts", 1...1_000)
        },
        OptionSpec(flag: "--outbox-retention-hours", environment: "OUTBOX_RETENTION_HOURS", valueName: "HOURS", help: "delivered events (every event without a webhook) are pruned after this; fractions allowed (default 24)") { config, value throws(ConfigurationError) in
            config.outbox.retentionMilliseconds = Int64((try decimal(value, "--outbox-retention-hours", 0.0001...87_600) * 3_600_000).rounded())
        },
        OptionSpec(flag: "--outbox-connections", environment: "OUTBOX_CONNECTIONS", valueName: "N", help: "webhook connections used at once (default 4)") { config, value throws(ConfigurationError) in
            config.outbox.connections = try integer(value, "--outbox-connections", 1...64)
        },
        OptionSpec(flag: "--outbox-timeout-seconds", environment: "OUTBOX_TIMEOUT_SECONDS", valueName: "SECONDS", help: "a webhook must answer within this, else the attempt is retried (default 10; connecting: 2)") { config, value throws(ConfigurationError) in
            config.outbox.responseTimeoutMilliseconds = Int((try decimal(value, "--outbox-timeout-seconds", 0.05...600) * 1000).rounded())
        },
        OptionSpec(flag: "--outbox-streams-max", environment: "OUTBOX_STREAMS_MAX", valueName: "N", help: "open GET /v1/outbox/stream connections at most; more get 503 (default 64)") { config, value throws(ConfigurationError) in
            config.outbox.streamsMax = try integer(value, "--outbox-streams-max", 1...10_000)
        },
        OptionSpec(flag: "--outbox-heartbeat-seconds", environment: "OUTBOX_HEARTBEAT_SECONDS", valueName: "SECONDS", help: "an idle outbox stream gets a comment line this often, so proxies keep it open (default 15)") { config, value throws(ConfigurationError) in
            config.outbox.heartbeatMilliseconds = Int64((try decimal(value, "--outbox-heartbeat-seconds", 0.1...3_600) * 1000).rounded())
        },
    ] + AccessConfiguration.options

    enum Outcome {
        case run(Configuration)
        case help(String)
    }

    /// Reads the environment first, then the flags (a flag wins over its twin).
    static func parse(arguments: [String], environment: [String: String]) throws(ConfigurationError) -> Outcome {
        var configuration = Configuration()
        for option in options {
            guard let name = option.environment, let value = environment[name] else { continue }
            if option.isSwitch {
                try option.apply(&configuration, try switchValue(value, name))
            } else {
                do throws(ConfigurationError) {
                    try option.apply(&configuration, value)
                } catch {
                    throw ConfigurationError(description: "\(error.description) (from \(name))")
                }
            }
        }
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--help" || argument == "-h" { return .help(helpText()) }
            let (flag, inline) = splitFlag(argument)
            guard let option = options.first(where: { $0.flag == flag }) else {
                throw ConfigurationError(description: "unknown option \(argument); see --help")
            }
            if option.isSwitch {
                try option.apply(&configuration, try switchValue(inline ?? "true", flag))
                continue
            }
            var value = inline
            if value == nil {
                guard index < arguments.count else { throw ConfigurationError(description: "\(flag) needs a value") }
                value = arguments[index]
                index += 1
            }
            try option.apply(&configuration, value!)
        }
        if let problem = configuration.validate() { throw ConfigurationError(description: problem) }
        try configuration.access.load()
        configuration.holdPolicy.maxHoldMilliseconds =
            configuration.maxHoldMilliseconds ?? max(HoldPolicy().maxHoldMilliseconds, configuration.holdPolicy.holdMilliseconds)
        return .run(configuration)
    }

    static func helpText() -> String {
        var lines = ["Usage: reservation-server [options]", "", "Options (each also read from the environment variable shown; the flag wins):"]
        for option in options {
            let flag = option.valueName.map { "\(option.flag) \($0)" } ?? option.flag
            let twin = option.environment.map { "  [\($0)]" } ?? ""
            lines.append("  \(flag.padding(toLength: 34, withPad: " ", startingAt: 0)) \(option.help)\(twin)")
        }
        lines.append("  --help                             show this text")
        return lines.joined(separator: "\n")
    }

    private static func splitFlag(_ argument: String) -> (String, String?) {
        guard argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }

    private static func switchValue(_ value: String, _ name: String) throws(ConfigurationError) -> String {
        switch value.lowercased() {
        case "1", "true", "yes", "on": return "true"
        case "0", "false", "no", "off", "": return "false"
        default: throw ConfigurationError(description: "\(name) must be true or false (got \"\(value)\")")
        }
    }

    static func integer(_ text: String, _ name: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(description: "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound) (got \"\(text)\")")
        }
        return value
    }

    static func decimal(_ text: String, _ name: String, _ range: ClosedRange<Double>) throws(ConfigurationError) -> Double {
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw ConfigurationError(description: "\(name) must be a number in \(range.lowerBound)...\(range.upperBound) (got \"\(text)\")")
        }
        return value
    }
}

/// Outbox delivery settings (API.md, "Outbox events").
struct OutboxSettings: Sendable {
    /// Where events are pushed; nil: nobody is pushed to, and events are kept for the pull feed
    /// until the retention period ends.
    var webhook: WebhookTarget?
    var policy = DeliveryPolicy()
    var retentionMilliseconds: Int64 = 24 * 3_600_000
    var connections = 4
    var responseTimeoutMilliseconds = 10_000
    var streamsMax = 64
    var heartbeatMilliseconds: Int64 = 15_000
}
