import Synchronization

/// Generates time-ordered ids such as `rsv_01jd4y3q8e7rv5k2m9c0x4a6bt`.
///
/// Each id is a prefix plus 26 Crockford base32 characters (lowercase, so the text sorts the same
/// way as the number) encoding 128 bits: a 48-bit millisecond timestamp, then 80 random bits. Ids
/// that start with the time make inserts append to the end of a B-tree instead of dirtying random
/// pages (DESIGN.md, "Storage"). As in ULID, within one millisecond — or when the clock steps back
/// — the generator increments the previous value instead of drawing new bits, so ids from one
/// generator are strictly increasing whatever the clock does. Random bits come from
/// `SystemRandomNumberGenerator`, which on Linux reads the kernel's getrandom(2).
public final class IDGenerator: Sendable {
    /// A source of 80 random bits (the high 48 bits of the result are ignored).
    public typealias RandomSource = @Sendable () -> UInt128

    /// Well-known prefixes.
    public enum Prefix {
        /// Reservations.
        public static let reservation = "rsv_"
        /// Orders.
        public static let order = "ord_"
        /// Generated event ids.
        public static let event = "evt_"
        /// Outbox event ids.
        public static let outboxEvent = "evn_"
    }

    /// Characters of the encoding: Crockford's base32 (no I, L, O, U), lowercase, in ASCII order.
    static let alphabet: [UInt8] = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)
    /// Length of the encoded part.
    public static let encodedLength = 26
    static let randomBits = 80
    static let randomMask: UInt128 = (1 << 80) - 1
    static let maxTimestamp: Int64 = (1 << 48) - 1

    /// The last value handed out; the mutex makes the generator usable from any thread.
    private let last = Mutex<UInt128>(0)
    private let random: RandomSource

    /// Creates a generator drawing from the kernel, or from `random` (for tests).
    public init(random: @escaping RandomSource = IDGenerator.kernelRandom) {
        self.random = random
    }

    /// Kernel randomness via `SystemRandomNumberGenerator`.
    public static func kernelRandom() -> UInt128 {
        var generator = SystemRandomNumberGenerator()
        return UInt128(generator.next() as UInt64) << 64 | UInt128(generator.next() as UInt64)
    }

    /// The next id with `prefix`, stamped with `nowMs` (or with the previous id's time if that is later).
    public func next(prefix: String, nowMs: Int64) -> String {
        prefix + Self.encode(nextValue(nowMs: nowMs))
    }

    /// The next raw 128-bit value; strictly greater than every earlier one from this generator.
    public func nextValue(nowMs: Int64) -> UInt128 {
        let timestamp = UInt128(min(max(nowMs, 0), Self.maxTimestamp))
        return last.withLock { last in
            // Fresh random bits only when the millisecond moved forward; otherwise count on from the
            // previous value. Counting past the top of the random field carries into the timestamp,
            // as if the next millisecond had begun, which keeps the order.
            let value = timestamp > last >> UInt128(Self.randomBits)
                ? timestamp << UInt128(Self.randomBits) | (random() & Self.randomMask)
                : last &+ 1
            last = value
            return value
        }
    }

    /// The 26-character encoding of `value`.
    public static func encode(_ value: UInt128) -> String {
        var bytes = [UInt8](repeating: 0, count: encodedLength)
        var rest = value
        for position in stride(from: encodedLength - 1, through: 0, by: -1) {
            bytes[position] = alphabet[Int(rest & 31)]
            rest >>= 5
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Decodes the 26 characters after `prefix`; nil when `id` is not such an id.
    public static func decode(_ id: String, prefix: String) -> UInt128? {
        guard id.hasPrefix(prefix) else { return nil }
        let encoded = id.utf8.dropFirst(prefix.utf8.count)
        guard encoded.count == encodedLength else { return nil }
        var value: UInt128 = 0
        for (offset, byte) in encoded.enumerated() {
            guard let digit = alphabet.firstIndex(of: byte) else { return nil }
            // 26 × 5 = 130 bits: the first character may only carry the top 3 bits.
            if offset == 0 && digit > 7 { return nil }
            value = value << 5 | UInt128(digit)
        }
        return value
    }

    /// The millisecond timestamp at the start of an id, or nil when it is not one of these ids.
    public static func timestampMs(of id: String, prefix: String) -> Int64? {
        decode(id, prefix: prefix).map { Int64($0 >> UInt128(randomBits)) }
    }
}
