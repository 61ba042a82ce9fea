/// The integer representation of RFC 7541 §5.1: a value in the low bits of a first byte, and when
/// it does not fit, continuation bytes of 7 bits each, least significant first.
enum HPACKInteger {
    /// The largest value decoded. Nothing in a header block needs more (indexes, string lengths
    /// and table sizes are all far smaller); a bound keeps the arithmetic in range.
    static let valueMax = Int(Int32.max)

    /// Decodes the integer whose first byte is `bytes[index]`, with `prefixBits` bits of it used,
    /// and moves `index` past it.
    static func decode(_ bytes: UnsafeRawBufferPointer, at index: inout Int, prefixBits: Int) throws(HPACKError) -> Int {
        guard index < bytes.count else { throw .truncated }
        let mask = (1 << prefixBits) - 1
        var value = Int(bytes[index]) & mask
        index += 1
        if value < mask { return value }
        var shift = 0
        while true {
            guard index < bytes.count else { throw .truncated }
            let byte = bytes[index]
            index += 1
            value += Int(byte & 0x7F) << shift
            if value > valueMax { throw .integerTooLarge }
            if byte & 0x80 == 0 { return value }
            shift += 7
            // Five continuation bytes already carry 35 bits; more can only be zero padding,
            // which would let a peer make the decoder loop over a long run of 0x80 bytes.
            if shift > 28 { throw .integerTooLarge }
        }
    }

    /// Appends `value` with `prefixBits` bits in the first byte, whose other bits are `flags`.
    static func encode(_ value: Int, prefixBits: Int, flags: UInt8, into output: inout [UInt8]) {
        precondition(value >= 0)
        let mask = (1 << prefixBits) - 1
        if value < mask {
            output.append(flags | UInt8(value))
            return
        }
        output.append(flags | UInt8(mask))
        var rest = value - mask
        while rest >= 0x80 {
            output.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        output.append(UInt8(rest))
    }
}
