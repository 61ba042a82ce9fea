import Auth
import Glibc
import Metrics
import Service

/// Who may do what, and how much (SECURITY.md): the authentication mode with its JWT settings,
/// and the limits per caller.
struct AccessConfiguration: Sendable {
    var jwt = false
    var hs256Secret: [UInt8]?
    var hs256SecretFile: String?
    var jwksFile: String?
    var issuer: String?
    var audience: String?
    var leewaySeconds: Int64 = 60
    var tokenCacheEntries = 4096
    /// `--rate-limit-per-second` (0 = off) and `--rate-limit-burst` (0 = the per-second rate, at least 1).
    var rateLimitPerSecond = 0.0
    var rateLimitBurst = 0
    /// `--max-live-holds-per-user` (0 = no limit).
    var liveHoldsPerCallerMax = 0
    /// `--idempotency-keys-per-caller-max`.
    var idempotencyKeysPerCallerMax = 100_000

    /// The rate-limit policy, when rate limiting is on.
    var rateLimit: RateLimiter.Policy? {
        guard rateLimitPerSecond > 0 else { return nil }
        let burst = rateLimitBurst > 0 ? rateLimitBurst : max(1, Int(rateLimitPerSecond.rounded(.up)))
        return RateLimiter.Policy(perSecond: rateLimitPerSecond, burst: min(burst, RateLimiter.burstMax))
    }
    /// Built from the settings above once they are all read (`load`).
    var authentication = AuthenticationMode.none

    /// Whether any JWT setting was given.
    var hasJWTSettings: Bool {
        hs256Secret != nil || hs256SecretFile != nil || jwksFile != nil || issuer != nil || audience != nil
    }

    /// Checks the settings and builds the verifier: reads the secret file and the JWKS file, so a
    /// missing or broken one stops the start (exit 2) instead of refusing every request later.
    mutating func load() throws(ConfigurationError) {
        guard jwt else {
            if hasJWTSettings { throw ConfigurationError(description: "JWT settings are given but --auth-mode is none; set --auth-mode jwt") }
            return
        }
        if hs256Secret != nil && hs256SecretFile != nil {
            throw ConfigurationError(description: "give the HS256 secret once: --jwt-hs256-secret or --jwt-hs256-secret-file")
        }
        if let path = hs256SecretFile { hs256Secret = try Self.readSecret(path) }
        guard hs256Secret != nil || jwksFile != nil else {
            throw ConfigurationError(description: "--auth-mode jwt needs JWT_HS256_SECRET (or JWT_HS256_SECRET_FILE) or JWT_JWKS_FILE")
        }
        if let secret = hs256Secret, secret.count < JWTVerifier.hs256SecretBytesMin {
            // RFC 7518 §3.2: a key at least as long as the hash output.
            throw ConfigurationError(description: "the HS256 secret must be at least \(JWTVerifier.hs256SecretBytesMin) bytes (it has \(secret.count))")
        }
        var keys: JWKSSource?
        if let path = jwksFile {
            do {
                keys = try JWKSSource(path: path)
            } catch {
                throw ConfigurationError(description: "--jwt-jwks-file: \(error.description)")
            }
        }
        var settings = JWTVerifier.Settings()
        settings.hs256Secret = hs256Secret
        settings.issuer = issuer
        settings.audience = audience
        settings.leewaySeconds = leewaySeconds
        authentication = .jwt(JWTVerifier(settings: settings, keys: keys))
    }

    /// The secret file's bytes without a final line break (editors add one).
    private static func readSecret(_ path: String) throws(ConfigurationError) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw ConfigurationError(description: "--jwt-hs256-secret-file: cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes = [UInt8](repeating: 0, count: 4097)
        let count = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        guard count <= 4096 else { throw ConfigurationError(description: "--jwt-hs256-secret-file: \(path) is larger than 4096 bytes") }
        bytes.removeSubrange(count...)
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
        return bytes
    }

    static let options: [OptionSpec] = [
        OptionSpec(flag: "--auth-mode", environment: "AUTH_MODE", valueName: "MODE", help: "none (callers name themselves with X-User-Id; default) or jwt (Authorization: Bearer <JWT> on every /v1 call)") { config, value throws(ConfigurationError) in
            switch value {
            case "none": config.access.jwt = false
            case "jwt": config.access.jwt = true
            default: throw ConfigurationError(description: "--auth-mode must be none or jwt (got \"\(value)\")")
            }
        },
        OptionSpec(flag: "--jwt-hs256-secret", environment: "JWT_HS256_SECRET", valueName: "SECRET", help: "HS256 key, at least 32 bytes; prefer the environment or the file (a flag shows in ps)") { config, value throws(ConfigurationError) in
            config.access.hs256Secret = Array(value.utf8)
        },
        OptionSpec(flag: "--jwt-hs256-secret-file", environment: "JWT_HS256_SECRET_FILE", valueName: "PATH", help: "file holding the HS256 key (a final line break is ignored)") { config, value throws(ConfigurationError) in
            config.access.hs256SecretFile = value
        },
        OptionSpec(flag: "--jwt-jwks-file", environment: "JWT_JWKS_FILE", valueName: "PATH", help: "JWKS file with the RS256 keys (selected by kid); re-read within a second when it changes") { config, value throws(ConfigurationError) in
            config.access.jwksFile = value
        },
        OptionSpec(flag: "--jwt-issuer", environment: "JWT_ISSUER", valueName: "ISS", help: "tokens must carry this iss (default: not checked)") { config, value throws(ConfigurationError) in
            config.access.issuer = value
        },
        OptionSpec(flag: "--jwt-audience", environment: "JWT_AUDIENCE", valueName: "AUD", help: "tokens' aud must be or contain this (default: not checked)") { config, value throws(ConfigurationError) in
            config.access.audience = value
        },
        OptionSpec(flag: "--jwt-leeway-seconds", environment: "JWT_LEEWAY_SECONDS", valueName: "SECONDS", help: "clock skew allowed on exp, nbf and iat (default 60)") { config, value throws(ConfigurationError) in
            config.access.leewaySeconds = Int64(try ConfigurationParser.integer(value, "--jwt-leeway-seconds", 0...3600))
        },
        OptionSpec(flag: "--rate-limit-per-second", environment: "RATE_LIMIT_PER_SECOND", valueName: "RATE", help: "changes (POST /v1/**, RPC writes) per second per caller, anonymous callers per client address; beyond it 429 (default 0 = off)") { config, value throws(ConfigurationError) in
            config.access.rateLimitPerSecond = try ConfigurationParser.decimal(value, "--rate-limit-per-second", 0...1_000_000)
        },
        OptionSpec(flag: "--rate-limit-burst", environment: "RATE_LIMIT_BURST", valueName: "N", help: "changes a caller may make at once after a quiet spell (default: the per-second rate)") { config, value throws(ConfigurationError) in
            config.access.rateLimitBurst = try ConfigurationParser.integer(value, "--rate-limit-burst", 1...RateLimiter.burstMax)
        },
        OptionSpec(flag: "--max-live-holds-per-user", environment: "MAX_LIVE_HOLDS_PER_USER", valueName: "N", help: "live holds one caller may have at once; beyond it 409 HOLD_LIMIT_EXCEEDED (default 0 = no limit)") { config, value throws(ConfigurationError) in
            config.access.liveHoldsPerCallerMax = try ConfigurationParser.integer(value, "--max-live-holds-per-user", 0...1_000_000)
        },
        OptionSpec(flag: "--idempotency-keys-per-caller-max", environment: "IDEMPOTENCY_KEYS_PER_CALLER_MAX", valueName: "N", help: "idempotency keys remembered for one caller; its new keys beyond it get 429 while others' still work (default 100000)") { config, value throws(ConfigurationError) in
            config.access.idempotencyKeysPerCallerMax = try ConfigurationParser.integer(value, "--idempotency-keys-per-caller-max", 1...100_000_000)
        },
        OptionSpec(flag: "--body-min-bytes-per-second", environment: "BODY_MIN_BYTES_PER_SECOND", valueName: "BYTES", help: "a request body gets the head timeout plus one second per this many bytes received, else 408 (default 1024)") { config, value throws(ConfigurationError) in
            config.http.bodyBytesPerSecondMin = try ConfigurationParser.integer(value, "--body-min-bytes-per-second", 1...(64 * 1_048_576))
        },
        OptionSpec(flag: "--body-timeout-seconds", environment: "BODY_TIMEOUT_SECONDS", valueName: "SECONDS", help: "longest a request body may take to arrive after its head, else 408 (default 60)") { config, value throws(ConfigurationError) in
            config.http.bodyTimeoutMilliseconds = Int64(try ConfigurationParser.decimal(value, "--body-timeout-seconds", 0.1...3600) * 1000)
        },
        OptionSpec(flag: "--body-bytes-in-flight-max", environment: "BODY_BYTES_IN_FLIGHT_MAX", valueName: "BYTES", help: "request body bytes buffered across all connections; beyond it 503 (default 268435456)") { config, value throws(ConfigurationError) in
            config.http.bodyBytesInFlightMax = try ConfigurationParser.integer(value, "--body-bytes-in-flight-max", 65_536...(16 * 1024 * 1_048_576))
        },
        OptionSpec(flag: "--jwt-cache-entries", environment: "JWT_CACHE_ENTRIES", valueName: "N", help: "verified tokens each loop remembers until they expire (default 4096)") { config, value throws(ConfigurationError) in
            config.access.tokenCacheEntries = try ConfigurationParser.integer(value, "--jwt-cache-entries", 2...1_000_000)
        },
    ]
}

extension Application {
    /// `auth_failures_total{reason}` (one series per reason from the start) and `rate_limited_total`.
    func registerAccessMetrics(service: ReservationService, registry: MetricsRegistry) {
        let statistics = service.authStatistics
        for reason in AuthFailure.reasons {
            registry.counterFunction(name: "auth_failures_total", help: "requests refused for their credentials, by reason",
                                     labels: ["reason": reason]) { Double(statistics.failures(reason: reason)) }
        }
        registry.counterFunction(name: "rate_limited_total", help: "requests refused by the per-caller rate limit (429)") {
            Double(statistics.rateLimitedCount)
        }
    }

    /// Starts the JWKS watcher (auth on with a JWKS file): key changes are logged, never the keys.
    func watchKeys() throws {
        guard case .jwt(let verifier) = configuration.access.authentication, let keys = verifier.keys else { return }
        try keys.watch { [log] reload in
            switch reload {
            case .unchanged: break
            case .replaced(let count): log.info("jwks reloaded", ["path": .string(keys.path), "keys": .int(Int64(count))])
            case .refused(let reason):
                log.warn("jwks change refused; the previous keys stay", ["path": .string(keys.path), "error": .string(reason)])
            }
        }
    }
}
