import Glibc

/// A W3C Trace Context trace id: 16 bytes, shown as 32 lowercase hex digits.
public struct TraceID: Sendable, Equatable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public var description: String { String(decoding: hexBytes, as: UTF8.self) }

    public var hexBytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(32)
        Self.appendHex(high, to: &out)
        Self.appendHex(low, to: &out)
        return out
    }

    static func appendHex(_ value: UInt64, to out: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        for shift in stride(from: 60, through: 0, by: -4) {
            out.append(digits.utf8Start[Int((value >> UInt64(shift)) & 0xF)])
        }
    }

    /// Parses `traceparent` (W3C Trace Context §3.2): `version-traceid-parentid-flags`, all
    /// lowercase hex. Returns nil for anything malformed or an all-zero id, so a new one is made.
    public static func parseTraceparent(_ bytes: UnsafeRawBufferPointer) -> TraceID? {
        guard bytes.count >= 55, bytes[2] == 0x2D, bytes[35] == 0x2D, bytes[52] == 0x2D else { return nil }
        guard let version = hex(bytes, 0, 2), version != 0xFF else { return nil }
        // Version 00 is exactly 55 bytes; later versions may append fields after another dash.
        if version == 0 && bytes.count != 55 { return nil }
        if bytes.count > 55 && bytes[55] != 0x2D { return nil }
        guard let high = hex(bytes, 3, 16), let low = hex(bytes, 19, 16), let parent = hex(bytes, 36, 16), hex(bytes, 53, 2) != nil else { return nil }
        guard high != 0 || low != 0, parent != 0 else { return nil }
        return TraceID(high: high, low: low)
    }

    private static func hex(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ count: Int) -> UInt64? {
        var value: UInt64 = 0
        for index in start..<(start + count) {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return value
    }
}

/// xoshiro256** seeded from the system generator: fast ids for one loop thread, not for secrets.
struct FastRandom {
    private var state: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init() {
        var seed = SystemRandomNumberGenerator()
        state = (seed.next(), seed.next(), seed.next(), seed.next())
        if state.0 | state.1 | state.2 | state.3 == 0 { state.0 = 0x9E37_79B9_7F4A_7C15 }
    }

    mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ value: UInt64, _ amount: UInt64) -> UInt64 { (value << amount) | (value >> (64 - amount)) }
}
