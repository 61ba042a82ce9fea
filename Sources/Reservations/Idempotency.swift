/// A write's claim on an idempotency key (API.md, "Idempotency"): the writer runs the command only
/// if no live entry has this scope, and otherwise answers from what it stored for the first request.
///
/// The service builds both parts; the writer treats them as opaque.
public struct IdempotencyClaim: Sendable, Hashable {
    /// Where the key lives: (caller, operation, key), joined by the service. Two claims with equal
    /// scopes are the same key.
    public var scope: String
    /// Digest of what the request asked for; the same scope with another fingerprint is a conflict,
    /// not a retry.
    public var fingerprint: [UInt8]

    /// Creates a claim.
    public init(scope: String, fingerprint: [UInt8]) {
        self.scope = scope
        self.fingerprint = fingerprint
    }
}
