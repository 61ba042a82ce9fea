/// A write's claim on an Idempotency-Key (API.md, "Idempotency"): the writer runs the command only
/// if no live entry has this scope, and otherwise answers from what it stored for the first request.
///
/// The API builds both parts; the writer treats them as opaque.
public struct IdempotencyClaim: Sendable, Hashable {
    /// Where the key lives: (caller, method, route template, key), joined by the API. Two claims
    /// with equal scopes are the same key.
    public var scope: String
    /// Digest of what the request asked for (SHA-256 of method, concrete path and canonical body);
    /// the same scope with another fingerprint is a conflict, not a retry.
    public var fingerprint: [UInt8]

    /// Creates a claim.
    public init(scope: String, fingerprint: [UInt8]) {
        self.scope = scope
        self.fingerprint = fingerprint
    }
}

/// The contract's rules for stored responses, shared by the writer (which stores and replays) and
/// its tests.
public enum IdempotencyRules {
    /// The header a replayed response carries besides the stored ones.
    public static let replayedHeader = ResponseHeader(name: "Idempotent-Replayed", value: "true")

    /// Whether a response with `status` is kept for replay: business outcomes only — successes,
    /// 404 and 409 — which a retry would otherwise see differently once the first request changed
    /// the state. Never 400 (the caller fixes the request and may reuse the key), 429 or 5xx
    /// (nothing happened, a retry should run).
    public static func isStorable(status: Int) -> Bool {
        (200...299).contains(status) || status == 404 || status == 409
    }
}
