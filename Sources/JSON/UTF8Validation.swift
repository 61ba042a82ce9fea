/// Well-formed UTF-8 as RFC 3629 §4 tables it: no overlong forms, no encoded surrogates
/// (U+D800–U+DFFF), nothing above U+10FFFF, no truncated sequences. The JSON parser checks
/// strings with it, and so does the protobuf decoder.
public enum UTF8Validation {
    /// Length of the well-formed multi-byte sequence at `offset` (its lead byte is 0x80 or more),
    /// or nil.
    @inline(__always)
    public static func sequenceLength(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> Int? {
        let lead = bytes[offset]
        let length: Int
        var secondLow: UInt8 = 0x80, secondHigh: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondLow = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondHigh = 0x9F
        case 0xF0: length = 4; secondLow = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondHigh = 0x8F
        default: return nil  // 80-BF (stray continuation), C0-C1 (overlong), F5-FF
        }
        guard offset + length <= bytes.count else { return nil }
        let second = bytes[offset + 1]
        guard second >= secondLow && second <= secondHigh else { return nil }
        for k in 2..<length where bytes[offset + k] & 0xC0 != 0x80 { return nil }
        return length
    }

    /// Whether all of `bytes` is well-formed UTF-8.
    public static func isWellFormed(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        while index < bytes.count {
            if bytes[index] < 0x80 {
                index += 1
            } else if let length = sequenceLength(bytes, at: index) {
                index += length
            } else {
                return false
            }
        }
        return true
    }
}
