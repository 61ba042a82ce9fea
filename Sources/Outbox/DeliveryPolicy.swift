/// What the relay does after an attempt (API.md, "Outbox events"): 2xx is delivered; timeouts,
/// connection errors, 408, 429 and 5xx are retried with exponential backoff and full jitter, capped,
/// honouring `Retry-After`; any other status — other 4xx, and 1xx or 3xx as final answers, since
/// redirects are not followed — parks the event as dead, as do `maxAttempts` failures.
public struct DeliveryPolicy: Sendable, Hashable {
    /// Failures after which an event is dead (`--outbox-max-attempts`, default 20).
    public var maxAttempts = 20
    /// The first retry waits up to this long; each further one doubles the range.
    public var backoffBaseMilliseconds: Int64 = 250
    /// Longest backoff (API.md: 60 s).
    public var backoffCapMilliseconds: Int64 = 60_000
    /// Longest `Retry-After` honoured; a receiver asking for more gets this.
    public var retryAfterMaxMilliseconds: Int64 = 3_600_000

    public init() {}

    /// How one attempt ended.
    public enum Attempt: Sendable, Hashable {
        /// The receiver answered with `status`; `retryAfterSeconds` when it sent a delta-seconds
        /// `Retry-After`.
        case answered(status: Int, retryAfterSeconds: Int64?)
        /// No answer within the response timeout.
        case timedOut
        /// The connection could not be made, or broke before an answer.
        case connectionFailed(String)
    }

    /// What to do next.
    public enum Decision: Sendable, Hashable {
        case delivered
        /// Try again after this many milliseconds.
        case retry(afterMilliseconds: Int64)
        /// Give up on the event; the reason is recorded with it.
        case dead(reason: String)
    }

    /// The metric label of an attempt (`outbox_delivery_attempts_total{result}`).
    public static func resultLabel(_ attempt: Attempt) -> String {
        switch attempt {
        case .answered(let status, _) where (200...299).contains(status): "delivered"
        case .answered(let status, _) where Self.isRetryable(status: status): "retryable_status"
        case .answered: "rejected_status"
        case .timedOut: "timeout"
        case .connectionFailed: "connection_error"
        }
    }

    static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 429 || (500...599).contains(status)
    }

    /// The decision for an attempt that was failure number `failures` (1 for the first attempt's
    /// failure); `random` is uniform in 0..<1 (the jitter).
    public func decide(_ attempt: Attempt, failures: Int, random: Double) -> Decision {
        let reason: String
        var retryAfter: Int64?
        switch attempt {
        case .answered(let status, _) where (200...299).contains(status):
            return .delivered
        case .answered(let status, let seconds) where Self.isRetryable(status: status):
            reason = "HTTP \(status)"
            retryAfter = seconds
        case .answered(let status, _):
            return .dead(reason: "HTTP \(status) (not retried)")
        case .timedOut:
            reason = "no response in time"
        case .connectionFailed(let detail):
            reason = detail
        }
        guard failures < maxAttempts else { return .dead(reason: "\(reason) after \(failures) attempts") }
        if let retryAfter {
            let milliseconds = retryAfter > retryAfterMaxMilliseconds / 1000 ? retryAfterMaxMilliseconds : retryAfter * 1000
            return .retry(afterMilliseconds: max(milliseconds, 0))
        }
        return .retry(afterMilliseconds: backoff(failures: failures, random: random))
    }

    /// Full jitter: uniform in 0...min(cap, base · 2^(failures−1)).
    public func backoff(failures: Int, random: Double) -> Int64 {
        let exponent = min(max(failures - 1, 0), 40)
        let (scaled, overflow) = backoffBaseMilliseconds.multipliedReportingOverflow(by: Int64(1) << exponent)
        let ceiling = overflow ? backoffCapMilliseconds : min(scaled, backoffCapMilliseconds)
        return Int64((Double(ceiling) * min(max(random, 0), 1)).rounded())
    }
}
