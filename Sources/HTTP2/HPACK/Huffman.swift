/// The static Huffman code of RFC 7541 Appendix B, for string literals.
///
/// The code is canonical, so the bit length of each symbol determines every code: codes of one
/// length are consecutive in symbol order, and each length starts where the shorter ones ended.
/// Only the lengths are written down here; the codes are computed once.
enum HPACKHuffman {
    /// Code lengths in bits for the bytes 0–255 and EOS (256), in symbol order.
    static let codeLengths: [UInt8] = [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, // 0–15
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, // 16–31
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, //         ' ' – '/'
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, //              '0' – '?'
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, //                '@' – 'O'
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, //             'P' – '_'
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, //                '`' – 'o'
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, //            'p' – 127
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, // 128–143
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 144–159
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, // 160–175
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 176–191
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, // 192–207
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 208–223
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, // 224–239
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 240–255
        30, //                                                              EOS
    ]

    static let endOfString = 256

    /// The code of each symbol, right-aligned (RFC 7541 Appendix B's "code as hex").
    static let codes: [UInt32] = {
        let order = (0...256).sorted { (codeLengths[$0], $0) < (codeLengths[$1], $1) }
        var codes = [UInt32](repeating: 0, count: 257)
        var next: UInt32 = 0
        var length = codeLengths[order[0]]
        for symbol in order {
            next <<= UInt32(codeLengths[symbol] - length)
            length = codeLengths[symbol]
            codes[symbol] = next
            next += 1
        }
        // A complete code ends exactly at 2^length: every bit pattern is some symbol's prefix.
        precondition(next == 1 << UInt32(length), "the Huffman code lengths do not form a complete code")
        return codes
    }()

    // MARK: - Encoding

    /// The length in bytes of `bytes` Huffman-encoded, padding included.
    static func encodedCount(_ bytes: some Sequence<UInt8>) -> Int {
        var bits = 0
        for byte in bytes { bits += Int(codeLengths[Int(byte)]) }
        return (bits + 7) / 8
    }

    /// Appends `bytes` Huffman-encoded, padded with the most significant bits of EOS (all ones).
    static func encode(_ bytes: some Sequence<UInt8>, into output: inout [UInt8]) {
        var buffer: UInt64 = 0
        var bufferedBits = 0
        for byte in bytes {
            let length = Int(codeLengths[Int(byte)])
            buffer = buffer << UInt64(length) | UInt64(codes[Int(byte)])
            bufferedBits += length
            while bufferedBits >= 8 {
                bufferedBits -= 8
                output.append(UInt8(truncatingIfNeeded: buffer >> UInt64(bufferedBits)))
            }
        }
        if bufferedBits > 0 {
            output.append(UInt8(truncatingIfNeeded: buffer << UInt64(8 - bufferedBits)) | UInt8(0xFF >> bufferedBits))
        }
    }

    // MARK: - Decoding

    /// A decoder that reads four bits at a time.
    ///
    /// States are the internal nodes of the code tree (256 for 257 leaves, the root is 0). For
    /// each state and each 4-bit input there is one entry: the state reached, and the symbol
    /// completed on the way, if any. Four bits complete at most one symbol because the shortest
    /// code has five. An entry is a `UInt16`:
    ///
    ///     bits 0–7    next state
    ///     bits 8–15   the symbol completed (when `emits` is set)
    /// and flags in `flags[state * 16 + nibble]`: emits, fails (the bits spell EOS, RFC 7541 §5.2).
    struct Decoder {
        var transitions: [UInt16]
        var flags: [UInt8]
        /// States where a string may end: the root, or up to 7 bits of the all-ones EOS prefix.
        var accepting: [Bool]

        static let emits: UInt8 = 1
        static let fails: UInt8 = 2
    }

    static let decoder: Decoder = {
        // Build the tree: children[2 * node + bit] is an internal node (>= 0) or a leaf -(symbol + 1).
        var children = [Int](repeating: Int.min, count: 2 * 256)
        var nodeCount = 1
        var onesDepth = [Int](repeating: -1, count: 256)  // depth when the path is all ones, else -1
        onesDepth[0] = 0
        for symbol in 0...256 {
            let length = Int(codeLengths[symbol])
            let code = codes[symbol]
            var node = 0
            for position in stride(from: length - 1, through: 0, by: -1) {
                let bit = Int((code >> UInt32(position)) & 1)
                let slot = 2 * node + bit
                if position == 0 {
                    precondition(children[slot] == Int.min, "two Huffman codes share a prefix")
                    children[slot] = -(symbol + 1)
                } else {
                    if children[slot] == Int.min {
                        precondition(nodeCount < 256, "too many internal Huffman nodes")
                        children[slot] = nodeCount
                        onesDepth[nodeCount] = (bit == 1 && onesDepth[node] >= 0) ? onesDepth[node] + 1 : -1
                        nodeCount += 1
                    }
                    node = children[slot]
                    precondition(node >= 0, "a Huffman code is the prefix of another")
                }
            }
        }
        precondition(nodeCount == 256)

        var transitions = [UInt16](repeating: 0, count: 256 * 16)
        var flags = [UInt8](repeating: 0, count: 256 * 16)
        for state in 0..<256 {
            for nibble in 0..<16 {
                var node = state
                var entryFlags: UInt8 = 0
                var symbol = 0
                for position in stride(from: 3, through: 0, by: -1) {
                    let child = children[2 * node + (nibble >> position) & 1]
                    if child >= 0 {
                        node = child
                        continue
                    }
                    let leaf = -child - 1
                    if leaf == endOfString {
                        entryFlags = Decoder.fails
                        break
                    }
                    entryFlags = Decoder.emits
                    symbol = leaf
                    node = 0
                }
                transitions[state * 16 + nibble] = UInt16(node) | UInt16(symbol) << 8
                flags[state * 16 + nibble] = entryFlags
            }
        }
        let accepting = onesDepth.map { $0 >= 0 && $0 <= 7 }
        return Decoder(transitions: transitions, flags: flags, accepting: accepting)
    }()

    /// Decodes a Huffman-encoded string and appends it to `output`; false when the bits are not a
    /// valid encoding (EOS inside, or padding longer than 7 bits or not all ones).
    static func decode(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) -> Bool {
        let decoder = Self.decoder
        return decoder.transitions.withUnsafeBufferPointer { transitions in
            decoder.flags.withUnsafeBufferPointer { flags in
                var state = 0
                for byte in input {
                    // The high nibble, then the low one; written out twice to keep the loop flat.
                    let high = state * 16 + Int(byte >> 4)
                    if flags[high] & Decoder.fails != 0 { return false }
                    if flags[high] & Decoder.emits != 0 { output.append(UInt8(transitions[high] >> 8)) }
                    state = Int(transitions[high] & 0xFF)
                    let low = state * 16 + Int(byte & 0x0F)
                    if flags[low] & Decoder.fails != 0 { return false }
                    if flags[low] & Decoder.emits != 0 { output.append(UInt8(transitions[low] >> 8)) }
                    state = Int(transitions[low] & 0xFF)
                }
                return decoder.accepting[state]
            }
        }
    }
}
