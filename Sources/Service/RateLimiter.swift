import Synchronization

/// A token bucket per caller (API.md, "Limits per caller"): `burst` tokens, refilled at
/// `perSecond`; each change a caller asks for takes one, and with none left it is refused with the
/// time until one is back.
///
/// Memory is a fixed table whatever the number of callers: `slotCount` slots of 16 bytes, each an
/// atomic pair (the caller's 64-bit hash, its bucket). A caller may use either of two slots its
/// hash picks; a new caller takes a free one, else the one whose bucket has refilled the most —
/// a full bucket carries no information, so evicting it forgets nothing, and a busy caller whose
/// bucket is low is the last to be evicted. Every loop thread uses the table at once through
/// compare-and-swap on the pair: no lock, and a refusal writes nothing.
public final class RateLimiter: @unchecked Sendable {  // the slots are only touched through their atomics
    public struct Policy: Sendable, Equatable {
        /// Tokens added per second.
        public var perSecond: Double
        /// Bucket size: requests a caller may make at once after a quiet spell.
        public var burst: Int

        public init(perSecond: Double, burst: Int) {
            self.perSecond = perSecond
            self.burst = burst
        }

        /// The window the bucket describes, for `RateLimit-Policy`: seconds to refill from empty.
        public var windowSeconds: Int { max(1, Int((Double(burst) / perSecond).rounded(.up))) }
    }

    /// A refusal: when to come back.
    public struct Refusal: Sendable, Hashable {
        /// Whole seconds until a token is back (at least 1).
        public let retryAfterSeconds: Int
        public let burst: Int
        public let windowSeconds: Int
    }

    public let policy: Policy
    public let slotCount: Int
    private let slots: UnsafeMutablePointer<Atomic<WordPair>>
    /// The table's clock starts here (monotonic nanoseconds).
    private let originNanoseconds: UInt64

    /// Token amounts are fixed point with this many fractional bits (so slow rates refill smoothly).
    static let fractionBits = 8
    static let one = UInt(1) << UInt(fractionBits)
    /// The bucket word: milliseconds since `origin` in the high 40 bits, tokens in the low 24.
    static let tokenBits = 24
    static let tokenMask = (UInt(1) << UInt(tokenBits)) - 1
    /// The largest burst the fixed-point layout holds.
    public static let burstMax = (1 << (tokenBits - fractionBits)) - 1

    public init(policy: Policy, slotCount: Int = 1 << 16, originNanoseconds: UInt64) {
        precondition(policy.perSecond > 0 && policy.burst >= 1 && policy.burst <= Self.burstMax)
        precondition(slotCount >= 2 && slotCount & (slotCount - 1) == 0, "slotCount must be a power of two")
        self.policy = policy
        self.slotCount = slotCount
        self.originNanoseconds = originNanoseconds
        slots = .allocate(capacity: slotCount)
        for index in 0..<slotCount { (slots + index).initialize(to: Atomic(WordPair(first: 0, second: 0))) }
    }

    deinit {
        slots.deinitialize(count: slotCount)
        slots.deallocate()
    }

    /// Takes a token for the caller whose identity hashes to `identity`, at `nowNanoseconds` on the
    /// monotonic clock; nil when it may go ahead.
    public func take(identity: UInt64, nowNanoseconds: UInt64) -> Refusal? {
        let key = UInt(identity | 1)  // never 0, which marks a free slot
        let nowMs = UInt((nowNanoseconds &- originNanoseconds) / 1_000_000)
        let mask = slotCount - 1
        let candidates = (Int(truncatingIfNeeded: identity) & mask, Int(truncatingIfNeeded: identity >> 32) & mask)
        // A handful of attempts: losing a race means another thread changed one of these slots.
        for _ in 0..<8 {
            let first = slots[candidates.0].load(ordering: .acquiring)
            let second = slots[candidates.1].load(ordering: .acquiring)
            let (index, current): (Int, WordPair)
            if first.first == key {
                (index, current) = (candidates.0, first)
            } else if second.first == key {
                (index, current) = (candidates.1, second)
            } else {
                // A new caller: a free slot, else the fuller of the two buckets is forgotten.
                let firstLevel = first.first == 0 ? Int.max : Int(level(of: first.second, nowMs: nowMs))
                let secondLevel = second.first == 0 ? Int.max : Int(level(of: second.second, nowMs: nowMs))
                let replacing = firstLevel >= secondLevel ? (candidates.0, first) : (candidates.1, second)
                let fresh = WordPair(first: key, second: Self.bucket(tokens: UInt(policy.burst) * Self.one - Self.one, atMs: nowMs))
                if slots[replacing.0].compareExchange(expected: replacing.1, desired: fresh, ordering: .acquiringAndReleasing).exchanged {
                    return nil
                }
                continue
            }
            let tokens = level(of: current.second, nowMs: nowMs)
            guard tokens >= Self.one else {
                let missing = Double(Self.one - tokens) / Double(Self.one)
                let seconds = Int((missing / policy.perSecond).rounded(.up))
                return Refusal(retryAfterSeconds: max(1, seconds), burst: policy.burst, windowSeconds: policy.windowSeconds)
            }
            let next = WordPair(first: key, second: Self.bucket(tokens: tokens - Self.one, atMs: nowMs))
            if slots[index].compareExchange(expected: current, desired: next, ordering: .acquiringAndReleasing).exchanged {
                return nil
            }
        }
        // Contended beyond reason on two slots: let the request through rather than spin.
        return nil
    }

    /// The tokens (fixed point) a stored bucket holds at `nowMs`, refilled and capped at `burst`.
    private func level(of bucket: UInt, nowMs: UInt) -> UInt {
        let storedMs = bucket >> UInt(Self.tokenBits)
        let stored = bucket & Self.tokenMask
        let elapsedMs = nowMs > storedMs ? nowMs - storedMs : 0
        let refill = Double(elapsedMs) * policy.perSecond * Double(Self.one) / 1000
        let capacity = UInt(policy.burst) * Self.one
        return refill >= Double(capacity) ? capacity : min(capacity, stored + UInt(refill))
    }

    private static func bucket(tokens: UInt, atMs nowMs: UInt) -> UInt {
        nowMs << UInt(tokenBits) | tokens
    }
}
