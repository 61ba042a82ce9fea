/// Recently verified tokens of one event loop, so that a caller's repeat requests cost a dictionary
/// lookup instead of a signature check. Used only on its loop's thread (no lock).
///
/// Bounded: two generations of at most `capacity / 2` entries each; when the young one fills, it
/// becomes the old one and the previous old one is dropped whole, so a hit costs nothing extra and
/// an insert never scans. An entry is good until its token's `exp` (plus leeway) and only while the
/// keys it was verified with are still the configured ones.
public final class TokenCache {
    public let capacity: Int
    private var young: [String: Principal] = [:]
    private var old: [String: Principal] = [:]
    private var keyGeneration: UInt64 = 0

    public init(capacity: Int = 4096) {
        precondition(capacity >= 2)
        self.capacity = capacity
    }

    /// Entries held now (at most `capacity`).
    public var count: Int { young.count + old.count }

    /// The principal `token` was verified as, if it is cached and still good at `nowMs`.
    public func principal(for token: String, nowMs: Int64, keyGeneration generation: UInt64) -> Principal? {
        if generation != keyGeneration {
            // The keys changed: a token verified under the old ones may no longer verify.
            young.removeAll()
            old.removeAll()
            keyGeneration = generation
            return nil
        }
        if let found = young[token] {
            return nowMs < found.acceptedUntilMs ? found : nil
        }
        if let found = old[token], nowMs < found.acceptedUntilMs {
            insert(token, found)
            return found
        }
        return nil
    }

    /// Remembers a verified token.
    public func remember(_ token: String, _ principal: Principal, keyGeneration generation: UInt64) {
        guard generation == keyGeneration else { return }
        insert(token, principal)
    }

    private func insert(_ token: String, _ principal: Principal) {
        if young.count >= capacity / 2 {
            old = young
            young = [:]
            young.reserveCapacity(capacity / 2)
        }
        young[token] = principal
    }
}
