import Compression
import Testing
import TestSupport

// Hand-made DEFLATE streams (RFC 1951) for the cases encoders rarely or never produce: every
// malformation the decoder must reject, and the unusual codes it must accept.

private func inflate(_ bytes: [UInt8], maxOutputBytes: Int = 1 << 16) throws(InflateError) -> [UInt8] {
    try Inflate.rawInflate(bytes, maxOutputBytes: maxOutputBytes)
}

/// A fixed-code block (RFC 1951 §3.2.6) holding `symbols`: literal bytes, then `(length, distance)` pairs.
private func fixedBlock(_ writer: inout BitWriter, last: Bool = true, _ symbols: [FixedSymbol]) {
    writer.blockHeader(last: last, type: 1)
    for symbol in symbols {
        switch symbol {
        case .literal(let byte):
            writer.fixedSymbol(Int(byte))
        case .code(let code):
            writer.fixedSymbol(code)
        case .match(let length, let distance):
            let (lengthCode, lengthExtra, lengthBits) = lengthSymbol(length)
            writer.fixedSymbol(lengthCode)
            writer.bits(lengthExtra, count: lengthBits)
            let (distanceCode, distanceExtra, distanceBits) = distanceSymbol(distance)
            writer.code(distanceCode, length: 5)
            writer.bits(distanceExtra, count: distanceBits)
        case .distanceCode(let code):
            writer.fixedSymbol(257)  // length 3
            writer.code(code, length: 5)
        }
    }
    writer.fixedSymbol(256)
}

private enum FixedSymbol {
    case literal(UInt8)
    case code(Int)
    case match(length: Int, distance: Int)
    /// A length of 3 followed by this raw distance code.
    case distanceCode(Int)
}

/// RFC 1951 §3.2.5: the length code, its extra bits and their count for a match length.
private func lengthSymbol(_ length: Int) -> (Int, Int, Int) {
    if length == 258 { return (285, 0, 0) }
    if length < 11 { return (254 + length, 0, 0) }
    for code in (265...284).reversed() {
        let index = code - 257
        let extra = index / 4 - 1
        let base = ((4 + index % 4) << extra) + 3
        if length >= base { return (code, length - base, extra) }
    }
    preconditionFailure()
}

/// RFC 1951 §3.2.5: the distance code, its extra bits and their count for a distance.
private func distanceSymbol(_ distance: Int) -> (Int, Int, Int) {
    if distance <= 4 { return (distance - 1, 0, 0) }
    for code in (4...29).reversed() {
        let extra = code / 2 - 1
        let base = ((2 + code % 2) << extra) + 1
        if distance >= base { return (code, distance - base, extra) }
    }
    preconditionFailure()
}

private func fixed(_ symbols: [FixedSymbol]) -> [UInt8] {
    var writer = BitWriter()
    fixedBlock(&writer, symbols)
    return writer.bytes
}

/// A symbol of a dynamic block's own codes.
private enum Coded {
    /// A literal byte or end of block.
    case symbol(Int)
    /// A length symbol and a distance symbol, each with the value of its extra bits (RFC 1951 §3.2.5).
    case match(Int, lengthExtra: Int = 0, distance: Int, distanceExtra: Int = 0)
}

/// Appends a dynamic block (RFC 1951 §3.2.7) with the given code lengths, holding `symbols`.
private func dynamicBlock(_ writer: inout BitWriter, literalLength: [Int], distance: [Int], _ symbols: [Coded], last: Bool = true) {
    writer.blockHeader(last: last, type: 2)
    writer.dynamicCodes(literalLength: literalLength, distance: distance)
    let literalCodes = canonicalCodes(literalLength)
    let distanceCodes = canonicalCodes(distance)
    for coded in symbols {
        switch coded {
        case .symbol(let symbol):
            writer.code(literalCodes[symbol].code, length: literalCodes[symbol].length)
        case .match(let symbol, let lengthExtra, let distanceSymbol, let distanceExtra):
            writer.code(literalCodes[symbol].code, length: literalCodes[symbol].length)
            let index = symbol - 257
            writer.bits(lengthExtra, count: index < 8 || symbol == 285 ? 0 : index / 4 - 1)
            writer.code(distanceCodes[distanceSymbol].code, length: distanceCodes[distanceSymbol].length)
            writer.bits(distanceExtra, count: distanceSymbol < 4 ? 0 : distanceSymbol / 2 - 1)
        }
    }
}

private func dynamic(literalLength: [Int], distance: [Int], _ symbols: [Coded]) -> [UInt8] {
    var writer = BitWriter()
    dynamicBlock(&writer, literalLength: literalLength, distance: distance, symbols)
    return writer.bytes
}

/// Literal/length lengths that give 'a', 'b', end of block and length 3 (257) two bits each.
private func fourSymbolLengths(count: Int = 258) -> [Int] {
    var lengths = [Int](repeating: 0, count: count)
    for symbol in [97, 98, 256, 257] { lengths[symbol] = 2 }
    return lengths
}

// MARK: Accepted streams

@Test func rawInflate_storedFixedAndDynamicBlocks_decodeInOrder() throws {
    var writer = BitWriter()
    writer.blockHeader(last: false, type: 0)
    writer.bits(0, count: 5)  // RFC 1951 §3.2.4: to the byte boundary, then LEN and NLEN
    writer.append([3, 0, 0xFC, 0xFF] + Array("abc".utf8))
    fixedBlock(&writer, last: false, [.literal(UInt8(ascii: "d")), .match(length: 5, distance: 4)])
    // Distance symbol 1 is distance 2.
    dynamicBlock(&writer, literalLength: fourSymbolLengths(), distance: [1, 1], [.symbol(98), .match(257, distance: 1), .symbol(256)])
    #expect(try inflate(writer.bytes) == Array("abcd" + "abcda" + "b" + "aba").map { $0.asciiValue! })
}

@Test func rawInflate_fixedThenDynamicThenFixed_rebuildsEachBlocksTables() throws {
    // The fixed tables are copied in once and reused; a dynamic block in between must replace them.
    var writer = BitWriter()
    fixedBlock(&writer, last: false, [.literal(UInt8(ascii: "x"))])
    dynamicBlock(&writer, literalLength: fourSymbolLengths(), distance: [1, 1], [.symbol(97), .symbol(98), .symbol(256)], last: false)
    fixedBlock(&writer, last: true, [.literal(UInt8(ascii: "y")), .match(length: 3, distance: 3)])
    #expect(try inflate(writer.bytes) == Array("xabyaby".utf8))
}

@Test func rawInflate_matchOverlappingItself_repeatsItsLastBytes() throws {
    // RFC 1951 §3.2.3: distance 2, length 9 after "ab" gives "ababababa" (and more for each distance).
    for distance in 1...9 {
        let prefix = Array("abcdefghi".utf8)[0..<distance]
        let bytes = fixed(prefix.map { .literal($0) } + [.match(length: 20, distance: distance)])
        let expected = (0..<(distance + 20)).map { prefix[$0 % distance] }
        #expect(try inflate(bytes) == expected, "distance \(distance)")
    }
}

@Test func rawInflate_everyLengthAndDistanceCode_decodes() throws {
    // One match per length code boundary, and one per distance code at its base and its top.
    var literals = [FixedSymbol]()
    var expected = [UInt8]()
    var random = SeededGenerator(seed: 11)
    for _ in 0..<32768 {
        let byte = UInt8.random(in: 0...255, using: &random)
        literals.append(.literal(byte))
        expected.append(byte)
    }
    var matches = [FixedSymbol]()
    let lengths = [3, 4, 10, 11, 12, 13, 18, 19, 22, 23, 34, 35, 66, 67, 130, 131, 257, 258]
    let distances = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 16, 17, 24, 25, 32, 33, 48, 49, 64, 65, 96, 97, 128, 129, 192, 193,
                     256, 257, 384, 385, 512, 513, 768, 769, 1024, 1025, 1536, 1537, 2048, 2049, 3072, 3073, 4096, 4097,
                     6144, 6145, 8192, 8193, 12288, 12289, 16384, 16385, 24576, 24577, 32767, 32768]
    for (index, distance) in distances.enumerated() {
        let length = lengths[index % lengths.count]
        matches.append(.match(length: length, distance: distance))
        for _ in 0..<length { expected.append(expected[expected.count - distance]) }
    }
    let decoded = outcome { () throws(InflateError) in try inflate(fixed(literals + matches), maxOutputBytes: 1 << 20) }
    #expect(summary(decoded) == summary(.success(expected)))
}

@Test func rawInflate_singleOneBitDistanceCode_isAccepted() throws {
    // RFC 1951 §3.2.7 and common encoders: a block whose matches all use one distance code may
    // give that code one bit and leave the other bit pattern unused.
    let stream = dynamic(literalLength: fourSymbolLengths(), distance: [1], [.symbol(97), .symbol(98), .match(257, distance: 0), .symbol(256)])
    #expect(try inflate(stream) == Array("abbbb".utf8))

    // The unused pattern is an invalid code, not a distance.
    var bad = BitWriter()
    bad.blockHeader(last: true, type: 2)
    bad.dynamicCodes(literalLength: fourSymbolLengths(), distance: [1])
    let codes = canonicalCodes(fourSymbolLengths())
    for symbol in [97, 257] { bad.code(codes[symbol].code, length: 2) }
    bad.code(1, length: 1)
    #expect(throws: InflateError.malformed(.invalidDistanceCode)) { try inflate(bad.bytes) }
}

@Test func rawInflate_noDistanceCodes_allowsLiteralsButNotMatches() throws {
    let literalsOnly = dynamic(literalLength: fourSymbolLengths(), distance: [0], [.symbol(97), .symbol(98), .symbol(256)])
    #expect(try inflate(literalsOnly) == Array("ab".utf8))

    var withMatch = BitWriter()
    withMatch.blockHeader(last: true, type: 2)
    withMatch.dynamicCodes(literalLength: fourSymbolLengths(), distance: [0, 0])
    let codes = canonicalCodes(fourSymbolLengths())
    for symbol in [97, 257] { withMatch.code(codes[symbol].code, length: 2) }
    withMatch.bits(0, count: 16)
    #expect(throws: InflateError.malformed(.invalidDistanceCode)) { try inflate(withMatch.bytes) }
}

@Test func rawInflate_onlyEndOfBlockCode_isAnEmptyBlock() throws {
    var lengths = [Int](repeating: 0, count: 257)
    lengths[256] = 1
    #expect(try inflate(dynamic(literalLength: lengths, distance: [0], [.symbol(256)])) == [])
}

@Test func rawInflate_codesLongerThanTheLookupTable_decodeThroughSubtables() throws {
    // Lengths 1, 2, …, 14, 15, 15 form a complete code. Literal/length codes of 11–15 bits take a
    // second look-up (10-bit root table), and so do distance codes of 9–15 bits (8-bit root).
    let literalOrder = [97, 256, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 257, 285, 108, 109]
    var literalLength = [Int](repeating: 0, count: 286)
    for (index, symbol) in literalOrder.enumerated() { literalLength[symbol] = min(index + 1, 15) }
    // Distance symbols 0–3 (distances 1–4, no extra bits) get the longest codes.
    let distanceOrder = [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 3, 2, 1, 0]
    var distance = [Int](repeating: 0, count: 16)
    for (index, symbol) in distanceOrder.enumerated() { distance[symbol] = min(index + 1, 15) }

    var symbols = [Coded]()
    var expected = [UInt8]()
    for round in 0..<200 {
        for symbol in [109, 108, 107, 100, 97, 98, 99, 106] {
            symbols.append(.symbol(symbol))
            expected.append(UInt8(symbol))
        }
        let distanceSymbol = round % 4
        symbols.append(.match(257, distance: distanceSymbol))
        for _ in 0..<3 { expected.append(expected[expected.count - (distanceSymbol + 1)]) }
        symbols.append(.match(285, distance: distanceSymbol))
        for _ in 0..<258 { expected.append(expected[expected.count - (distanceSymbol + 1)]) }
    }
    symbols.append(.symbol(256))
    let stream = dynamic(literalLength: literalLength, distance: distance, symbols)
    for limit in [1 << 20, expected.count] {
        let decoded = outcome { () throws(InflateError) in try inflate(stream, maxOutputBytes: limit) }
        #expect(summary(decoded) == summary(.success(expected)), "limit \(limit)")
    }
    #expect(throws: InflateError.outputTooLarge) { try inflate(stream, maxOutputBytes: expected.count - 1) }
}

@Test func rawInflate_distanceCodesThirtyAndThirtyOne_mayHaveLengthsButNotOccur() throws {
    // HDIST may be 32 (RFC 1951 §3.2.7); the two extra codes just cannot be used.
    let distance = [Int](repeating: 5, count: 32)
    let accepted = dynamic(literalLength: fourSymbolLengths(), distance: distance, [.symbol(97), .match(257, distance: 0), .symbol(256)])
    #expect(try inflate(accepted) == Array("aaaa".utf8))
    for code in [30, 31] {
        let rejected = dynamic(literalLength: fourSymbolLengths(), distance: distance, [.symbol(97), .match(257, distance: code), .symbol(256)])
        #expect(throws: InflateError.malformed(.invalidDistanceCode)) { try inflate(rejected) }
    }
}

// MARK: Rejected streams

@Test func rawInflate_blockTypeThree_isMalformed() {
    #expect(throws: InflateError.malformed(.invalidBlockType)) { try inflate([0b111]) }
    #expect(throws: InflateError.malformed(.invalidBlockType)) { try inflate([0b110]) }
}

@Test func rawInflate_storedLengthWithoutItsComplement_isMalformed() throws {
    #expect(throws: InflateError.malformed(.storedLengthMismatch)) { try inflate([0x01, 0x05, 0x00, 0xFA, 0xFE] + [UInt8](repeating: 0, count: 5)) }
    #expect(throws: InflateError.malformed(.storedLengthMismatch)) { try inflate([0x01, 0x00, 0x00, 0x00, 0x00]) }
    #expect(try inflate([0x01, 0x00, 0x00, 0xFF, 0xFF]) == [])
}

@Test func rawInflate_storedBlockShorterThanItsLength_isTruncated() {
    #expect(throws: InflateError.truncated) { try inflate([0x01, 0x05, 0x00, 0xFA, 0xFF] + Array("abcd".utf8)) }
}

@Test func rawInflate_literalLengthCodes286And287_areMalformed() {
    for code in [286, 287] {
        #expect(throws: InflateError.malformed(.invalidLiteralLengthCode)) { try inflate(fixed([.literal(1), .code(code)])) }
    }
}

@Test func rawInflate_fixedDistanceCodes30And31_areMalformed() {
    for code in [30, 31] {
        #expect(throws: InflateError.malformed(.invalidDistanceCode)) { try inflate(fixed([.literal(1), .distanceCode(code)])) }
    }
}

@Test func rawInflate_distanceBeyondTheOutput_isMalformed() throws {
    #expect(throws: InflateError.malformed(.distanceTooFarBack)) { try inflate(fixed([.match(length: 3, distance: 1)])) }
    #expect(throws: InflateError.malformed(.distanceTooFarBack)) { try inflate(fixed([.literal(1), .match(length: 3, distance: 2)])) }
    #expect(try inflate(fixed([.literal(1), .match(length: 3, distance: 1)])) == [1, 1, 1, 1])
    // Also where the fast loop runs: a long stream, then a match one byte too far.
    let literals = [FixedSymbol](repeating: .literal(7), count: 1000)
    #expect(throws: InflateError.malformed(.distanceTooFarBack)) {
        try inflate(fixed(literals + [.match(length: 3, distance: 1001)] + literals))
    }
}

@Test func rawInflate_tooManyLiteralLengthCodes_isMalformed() {
    for count in [287, 288] {
        var writer = BitWriter()
        writer.blockHeader(last: true, type: 2)
        writer.dynamicCodes(literalLength: fourSymbolLengths(count: count), distance: [1, 1])
        #expect(throws: InflateError.malformed(.tooManyLiteralLengthCodes)) { try inflate(writer.bytes + [0, 0]) }
    }
}

/// A dynamic block header with these code-length code lengths (in symbol order 0–18), then `tail` bits.
private func codeLengthHeader(_ codeLengthLengths: [Int], tail: (inout BitWriter) -> Void = { _ in }) -> [UInt8] {
    var writer = BitWriter()
    writer.blockHeader(last: true, type: 2)
    writer.bits(0, count: 5)  // 257 literal/length codes
    writer.bits(0, count: 5)  // 1 distance code
    writer.bits(15, count: 4)  // 19 code-length code lengths
    for symbol in [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15] { writer.bits(codeLengthLengths[symbol], count: 3) }
    tail(&writer)
    return writer.bytes + [UInt8](repeating: 0, count: 64)
}

@Test func rawInflate_overSubscribedCodes_areMalformed() {
    // Code-length code: three one-bit codes.
    var lengths = [Int](repeating: 0, count: 19)
    lengths[0] = 1; lengths[1] = 1; lengths[2] = 1
    #expect(throws: InflateError.malformed(.oversubscribedCode)) { try inflate(codeLengthHeader(lengths)) }

    // Literal/length code: 'a', 'b' and end of block all one bit.
    var literalLength = [Int](repeating: 0, count: 257)
    literalLength[97] = 1; literalLength[98] = 1; literalLength[256] = 1
    var writer = BitWriter()
    writer.blockHeader(last: true, type: 2)
    writer.dynamicCodes(literalLength: literalLength, distance: [1, 1])
    #expect(throws: InflateError.malformed(.oversubscribedCode)) { try inflate(writer.bytes + [0, 0]) }

    // Distance code: three one-bit codes.
    var distances = BitWriter()
    distances.blockHeader(last: true, type: 2)
    distances.dynamicCodes(literalLength: fourSymbolLengths(), distance: [1, 1, 1])
    #expect(throws: InflateError.malformed(.oversubscribedCode)) { try inflate(distances.bytes + [0, 0]) }
}

@Test func rawInflate_incompleteCodes_areMalformed() {
    // Code-length code: a single code, or two two-bit codes, leave patterns unused.
    var single = [Int](repeating: 0, count: 19)
    single[0] = 1
    #expect(throws: InflateError.malformed(.incompleteCode)) { try inflate(codeLengthHeader(single)) }
    var two = [Int](repeating: 0, count: 19)
    two[0] = 2; two[8] = 2
    #expect(throws: InflateError.malformed(.incompleteCode)) { try inflate(codeLengthHeader(two)) }
    #expect(throws: InflateError.malformed(.incompleteCode)) { try inflate(codeLengthHeader([Int](repeating: 0, count: 19))) }

    // Literal/length code: 'a' one bit, end of block two bits.
    var literalLength = [Int](repeating: 0, count: 257)
    literalLength[97] = 1; literalLength[256] = 2
    var writer = BitWriter()
    writer.blockHeader(last: true, type: 2)
    writer.dynamicCodes(literalLength: literalLength, distance: [1, 1])
    #expect(throws: InflateError.malformed(.incompleteCode)) { try inflate(writer.bytes + [0, 0]) }

    // Distance code: one code of two bits (a single code must have one bit), or one and two bits.
    for distance in [[2], [1, 2], [0, 2]] {
        var distances = BitWriter()
        distances.blockHeader(last: true, type: 2)
        distances.dynamicCodes(literalLength: fourSymbolLengths(), distance: distance)
        #expect(throws: InflateError.malformed(.incompleteCode), "\(distance)") { try inflate(distances.bytes + [0, 0]) }
    }
}

/// Code-length code lengths where every symbol 0–18 has a 5-bit code but for 0–12 (4 bits):
/// complete (13/16 + 6/32 = 1), and symbol `n` has code `n` for `n` ≤ 12, `n` + 13 above.
private let everyCodeLengthSymbol: [Int] = (0..<19).map { $0 < 13 ? 4 : 5 }

private func writeCodeLengthSymbol(_ writer: inout BitWriter, _ symbol: Int) {
    if symbol < 13 { writer.code(symbol, length: 4) } else { writer.code(symbol + 13, length: 5) }
}

@Test func rawInflate_repeatOfThePreviousLengthFirst_isMalformed() {
    let bytes = codeLengthHeader(everyCodeLengthSymbol) { writer in
        writeCodeLengthSymbol(&writer, 16)
        writer.bits(0, count: 2)
    }
    #expect(throws: InflateError.malformed(.repeatWithoutPreviousLength)) { try inflate(bytes) }
}

@Test func rawInflate_runOfLengthsPastTheLastCode_isMalformed() {
    // 257 + 1 lengths are expected; two runs of 138 zeros is 276.
    let bytes = codeLengthHeader(everyCodeLengthSymbol) { writer in
        for _ in 0..<2 {
            writeCodeLengthSymbol(&writer, 18)
            writer.bits(127, count: 7)
        }
    }
    #expect(throws: InflateError.malformed(.tooManyCodeLengths)) { try inflate(bytes) }
    // A run of the previous length that overshoots by one.
    let repeated = codeLengthHeader(everyCodeLengthSymbol) { writer in
        writeCodeLengthSymbol(&writer, 18)
        writer.bits(127, count: 7)  // 138 zeros
        writeCodeLengthSymbol(&writer, 18)
        writer.bits(106, count: 7)  // 117 zeros: 255
        writeCodeLengthSymbol(&writer, 1)  // 256
        writeCodeLengthSymbol(&writer, 16)
        writer.bits(0, count: 2)  // 3 more: 259 > 258
    }
    #expect(throws: InflateError.malformed(.tooManyCodeLengths)) { try inflate(repeated) }
}

@Test func rawInflate_noEndOfBlockCode_isMalformed() {
    var literalLength = [Int](repeating: 0, count: 257)
    literalLength[97] = 1; literalLength[98] = 1
    var writer = BitWriter()
    writer.blockHeader(last: true, type: 2)
    writer.dynamicCodes(literalLength: literalLength, distance: [1, 1])
    #expect(throws: InflateError.malformed(.missingEndOfBlockCode)) { try inflate(writer.bytes + [0, 0]) }
}

@Test func rawInflate_bytesAfterTheLastBlock_areTrailingData() throws {
    let stream = fixed([.literal(1)])
    #expect(try inflate(stream) == [1])
    #expect(throws: InflateError.trailingData) { try inflate(stream + [0]) }
}

@Test func rawInflate_emptyInput_isTruncated() {
    #expect(throws: InflateError.truncated) { try inflate([]) }
    #expect(throws: InflateError.truncated) { try Inflate.gunzip([], maxOutputBytes: 10) }
    #expect(throws: InflateError.truncated) { try Inflate.zlibInflate([], maxOutputBytes: 10) }
}

@Test func rawInflate_nonFinalBlockAtTheEnd_isTruncated() {
    var writer = BitWriter()
    fixedBlock(&writer, last: false, [.literal(1)])
    #expect(throws: InflateError.truncated) { try inflate(writer.bytes) }
}
