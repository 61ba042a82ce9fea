/// Lookup tables that turn the next input bits into a DEFLATE symbol in one or two reads.
///
/// DEFLATE packs Huffman codes starting from their most significant bit into a stream read from
/// the least significant bit of each byte (RFC 1951 §3.1.1), so the next `rootBits` bits of the
/// bit buffer, taken as a number, are a code written backwards. The root table has one entry per
/// such number: a code of `n ≤ rootBits` bits fills every entry whose low `n` bits are that code
/// reversed. Codes longer than `rootBits` share a root entry per prefix, which links to a subtable
/// indexed by the bits after the prefix.
///
/// An entry is a `UInt32`:
///
///     bits 0–3    code length, the bits to consume (for a link: unused)
///     bits 4–7    extra bits that follow the code (for a link: the subtable's index bits)
///     bits 8–11   kind: literal, match, end of block, link, invalid
///     bits 16–31  value: literal byte, length or distance base, code-length symbol, subtable offset
enum HuffmanEntry {
    static let literal: UInt32 = 0 << 8
    static let match: UInt32 = 1 << 8
    static let endOfBlock: UInt32 = 2 << 8
    static let link: UInt32 = 3 << 8
    static let invalid: UInt32 = 4 << 8
    static let kindMask: UInt32 = 0xF << 8

    @inline(__always)
    static func make(kind: UInt32, value: Int, extraBits: Int = 0, codeLength: Int = 0) -> UInt32 {
        UInt32(truncatingIfNeeded: value) << 16 | kind | UInt32(truncatingIfNeeded: extraBits) << 4
            | UInt32(truncatingIfNeeded: codeLength)
    }

    @inline(__always) static func codeLength(_ entry: UInt32) -> Int { Int(entry & 0xF) }
    @inline(__always) static func extraBits(_ entry: UInt32) -> Int { Int((entry >> 4) & 0xF) }
    @inline(__always) static func value(_ entry: UInt32) -> Int { Int(entry >> 16) }
}

/// The three alphabets of RFC 1951 and what their symbols decode to.
enum Alphabet {
    /// Literal bytes 0–255, end of block 256, lengths 257–285 (RFC 1951 §3.2.5).
    case literalLength
    /// Distances 0–29 (RFC 1951 §3.2.5).
    case distance
    /// Code lengths 0–15 and the repeat symbols 16–18 (RFC 1951 §3.2.7).
    case codeLength

    /// Index bits of the root table: 10 covers almost every literal/length code of real data in one
    /// read while the table (4 KiB) stays in L1; distance codes are fewer and read once per match.
    var rootBits: Int {
        switch self {
        case .literalLength: 10
        case .distance: 8
        case .codeLength: 7
        }
    }

    /// Entries a table may need, root included.
    ///
    /// A bound, not the exact worst case: in a complete code every prefix that has a subtable
    /// covers at least two codes, so there are at most `symbols / 2` subtables, each of at most
    /// 2^(15 - rootBits) entries.
    var tableCapacity: Int {
        switch self {
        case .literalLength: (1 << 10) + 288 / 2 * (1 << 5)
        case .distance: (1 << 8) + 32 / 2 * (1 << 7)
        case .codeLength: 1 << 7
        }
    }

    /// Whether an incomplete code is acceptable: a single code of one bit, or (for distances) none.
    ///
    /// RFC 1951 §3.2.7 says one distance code of zero bits means that there are no distance codes,
    /// and encoders emit a single one-bit code when only one distance or only end of block is used.
    /// The code-length code has no such use, so it must be complete.
    var allowsSingleCode: Bool { self != .codeLength }

    /// The entry for `symbol` without its code length.
    @inline(__always)
    func entry(for symbol: Int) -> UInt32 {
        switch self {
        case .literalLength:
            if symbol < 256 { return HuffmanEntry.make(kind: HuffmanEntry.literal, value: symbol) }
            if symbol == 256 { return HuffmanEntry.endOfBlock }
            if symbol == 285 { return HuffmanEntry.make(kind: HuffmanEntry.match, value: 258) }
            if symbol > 285 { return HuffmanEntry.invalid }
            // RFC 1951 §3.2.5: codes 257–264 are lengths 3–10; after that each group of four
            // doubles its span and takes one more extra bit.
            let index = symbol - 257
            if index < 8 { return HuffmanEntry.make(kind: HuffmanEntry.match, value: 3 + index) }
            let extra = index / 4 - 1
            return HuffmanEntry.make(kind: HuffmanEntry.match, value: ((4 + index % 4) << extra) + 3, extraBits: extra)
        case .distance:
            // RFC 1951 §3.2.5: codes 0–3 are distances 1–4; after that each pair doubles its span
            // and takes one more extra bit. Codes 30 and 31 never occur in valid data.
            if symbol > 29 { return HuffmanEntry.invalid }
            if symbol < 4 { return HuffmanEntry.make(kind: HuffmanEntry.match, value: symbol + 1) }
            let extra = symbol / 2 - 1
            return HuffmanEntry.make(kind: HuffmanEntry.match, value: ((2 + symbol % 2) << extra) + 1, extraBits: extra)
        case .codeLength:
            return HuffmanEntry.make(kind: HuffmanEntry.literal, value: symbol)
        }
    }
}

/// Builds lookup tables of `HuffmanEntry`s from the code lengths a block header gives.
enum HuffmanTable {
    /// The longest code DEFLATE allows (RFC 1951 §3.2.7: code lengths 0–15).
    static let codeLengthMax = 15

    /// Builds the table for the canonical code given by `lengths` (RFC 1951 §3.2.2) into `table`.
    ///
    /// - Parameters:
    ///   - table: room for `alphabet.tableCapacity` entries.
    ///   - lengths: the code length of each symbol, 0 for symbols that do not occur.
    ///   - scratch: room for `lengths.count` symbols, used to sort them.
    /// - Throws: `.malformed` when the lengths describe no usable prefix code.
    static func build(
        _ table: UnsafeMutablePointer<UInt32>, alphabet: Alphabet,
        lengths: UnsafeBufferPointer<UInt8>, scratch: UnsafeMutablePointer<UInt16>
    ) throws(InflateError) {
        try withUnsafeTemporaryAllocation(of: Int.self, capacity: codeLengthMax + 1) { counts throws(InflateError) in
            counts.initialize(repeating: 0)
            for length in lengths { counts[Int(length)] += 1 }

            // The Kraft sum: at each length there are `available` unused codes; using more than
            // that over-subscribes the code.
            var available = 1
            var usedCount = 0
            for length in 1...codeLengthMax {
                available = available * 2 - counts[length]
                if available < 0 { throw .malformed(.oversubscribedCode) }
                usedCount += counts[length]
            }
            if available > 0 {
                let singleOneBitCode = usedCount == 1 && counts[1] == 1
                let empty = usedCount == 0 && alphabet == .distance
                guard alphabet.allowsSingleCode && (singleOneBitCode || empty) else {
                    throw .malformed(.incompleteCode)
                }
                // Bits that match no code decode as invalid. With the single code, that is the one
                // other first bit; with no codes, nothing at all was read.
                table.update(repeating: HuffmanEntry.invalid | UInt32(usedCount), count: 1 << alphabet.rootBits)
            }

            // Sort symbols by code length, then by symbol: the order of their canonical codes.
            // `counts` becomes each length's next position in `scratch`.
            var position = 0
            for length in 1...codeLengthMax {
                let count = counts[length]
                counts[length] = position
                position += count
            }
            for (symbol, length) in lengths.enumerated() where length != 0 {
                scratch[counts[Int(length)]] = UInt16(symbol)
                counts[Int(length)] += 1
            }
            fill(table, alphabet: alphabet, lengths: lengths, sorted: scratch, count: usedCount)
        }
    }

    /// Writes the entries of the `count` symbols in `sorted` (in canonical order) into `table`.
    private static func fill(
        _ table: UnsafeMutablePointer<UInt32>, alphabet: Alphabet, lengths: UnsafeBufferPointer<UInt8>,
        sorted: UnsafeMutablePointer<UInt16>, count: Int
    ) {
        let rootBits = alphabet.rootBits
        let rootSize = 1 << rootBits
        var code = 0  // the canonical code of the current symbol, most significant bit first
        var codeLength = 1
        var nextSubtable = rootSize
        var subtableOffset = 0  // where the current prefix's subtable starts
        var subtableBits = 0
        var subtablePrefix = -1  // the reversed root bits that link to it
        for index in 0..<count {
            let symbol = Int(sorted[index])
            let length = Int(lengths[symbol])
            // RFC 1951 §3.2.2 step 2: the first code of each length follows the last code of the
            // previous length, shifted left.
            code <<= length - codeLength
            codeLength = length
            let reversed = reverse(code, bitCount: length)
            let entry = alphabet.entry(for: symbol) | UInt32(length)
            if length <= rootBits {
                var slot = reversed
                while slot < rootSize {
                    table[slot] = entry
                    slot += 1 << length
                }
            } else {
                let prefix = reversed & (rootSize - 1)
                if prefix != subtablePrefix {
                    // The codes that share this prefix come next in canonical order.
                    subtablePrefix = prefix
                    subtableOffset = nextSubtable
                    subtableBits = longestLength(from: index, code: code, sorted: sorted, count: count, lengths: lengths, rootBits: rootBits) - rootBits
                    nextSubtable += 1 << subtableBits
                    precondition(nextSubtable <= alphabet.tableCapacity, "Huffman table overflow")
                    table[prefix] = HuffmanEntry.make(kind: HuffmanEntry.link, value: subtableOffset, extraBits: subtableBits)
                }
                var slot = reversed >> rootBits
                while slot < 1 << subtableBits {
                    table[subtableOffset + slot] = entry
                    slot += 1 << (length - rootBits)
                }
            }
            code += 1
        }
    }

    /// The longest code among the symbols from `start` on whose first `rootBits` bits are those
    /// of `code`, the code of `sorted[start]`.
    private static func longestLength(
        from start: Int, code: Int, sorted: UnsafeMutablePointer<UInt16>, count: Int,
        lengths: UnsafeBufferPointer<UInt8>, rootBits: Int
    ) -> Int {
        var length = Int(lengths[Int(sorted[start])])
        let prefix = code >> (length - rootBits)
        var next = code
        var index = start + 1
        var longest = length
        while index < count {
            let nextLength = Int(lengths[Int(sorted[index])])
            next = (next + 1) << (nextLength - length)
            length = nextLength
            if next >> (length - rootBits) != prefix { break }
            longest = length
            index += 1
        }
        return longest
    }

    /// `value`'s low `bitCount` bits in reverse order.
    @inline(__always)
    static func reverse(_ value: Int, bitCount: Int) -> Int {
        var input = value
        var output = 0
        for _ in 0..<bitCount {
            output = output << 1 | input & 1
            input >>= 1
        }
        return output
    }
}
