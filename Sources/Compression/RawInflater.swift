/// Memory one decode call works in: Huffman tables and code lengths, allocated once per call.
struct InflateScratch {
    let literalLengthTable: UnsafeMutablePointer<UInt32>
    let distanceTable: UnsafeMutablePointer<UInt32>
    let codeLengthTable: UnsafeMutablePointer<UInt32>
    /// Code lengths of a dynamic block: up to 286 + 32 (RFC 1951 §3.2.7).
    let lengths: UnsafeMutablePointer<UInt8>
    /// Symbols sorted by code length while a table is built.
    let symbols: UnsafeMutablePointer<UInt16>

    static let lengthCapacity = 320

    /// Runs `body` with scratch memory that is freed when it returns.
    static func with<Value>(_ body: (InflateScratch) throws(InflateError) -> Value) throws(InflateError) -> Value {
        let literalLengthCount = Alphabet.literalLength.tableCapacity
        let distanceCount = Alphabet.distance.tableCapacity
        let entries = UnsafeMutablePointer<UInt32>.allocate(
            capacity: literalLengthCount + distanceCount + Alphabet.codeLength.tableCapacity)
        let lengths = UnsafeMutablePointer<UInt8>.allocate(capacity: lengthCapacity)
        let symbols = UnsafeMutablePointer<UInt16>.allocate(capacity: lengthCapacity)
        defer {
            entries.deallocate()
            lengths.deallocate()
            symbols.deallocate()
        }
        let scratch = InflateScratch(
            literalLengthTable: entries, distanceTable: entries + literalLengthCount,
            codeLengthTable: entries + literalLengthCount + distanceCount, lengths: lengths, symbols: symbols)
        return try body(scratch)
    }
}

/// A DEFLATE decoder (RFC 1951) over one input buffer that already holds the whole stream.
///
/// It reads the input through a 64-bit bit buffer and decodes literal/length and distance codes
/// with `HuffmanTable`s. The hot loop runs while at least 8 input bytes and room for the longest
/// match are left, so that it needs no bounds checks; a careful loop finishes the stream's last
/// bytes and the output's last room. When the room runs out the decoder stops between two writes,
/// the caller grows the output, and decoding resumes where it stopped.
struct RawInflater {
    private enum Phase {
        case blockHeader
        /// Inside a stored block, with this many bytes left to copy.
        case stored(remaining: Int)
        case huffmanCodes
        case finished
    }

    private let input: UnsafeRawPointer
    private let inputEnd: Int
    /// The next input byte not yet in the bit buffer.
    private var position: Int
    /// Input bits not yet consumed, the next one in bit 0.
    private var bitBuffer: UInt64 = 0
    private var bitCount = 0

    /// Bytes in the output so far, this stream's and those before it.
    private var outputCount: Int
    /// Where this stream's output starts: no back-reference may reach before it (RFC 1952 §2.2:
    /// gzip members are independent).
    private let windowStart: Int

    private var phase = Phase.blockHeader
    private var isLastBlock = false
    /// A match the output had no room for yet.
    private var pendingLength = 0
    private var pendingDistance = 0
    private let scratch: InflateScratch
    /// Whether the tables hold the fixed codes, so consecutive fixed blocks skip the copy.
    private var tablesHoldFixedCodes = false

    private init(input: UnsafeRawPointer, inputEnd: Int, position: Int, outputCount: Int, scratch: InflateScratch) {
        self.input = input
        self.inputEnd = inputEnd
        self.position = position
        self.outputCount = outputCount
        self.windowStart = outputCount
        self.scratch = scratch
    }

    /// Decodes the DEFLATE stream that starts at `input[start]`, appending to `output`.
    /// - Returns: the offset of the first byte after the stream (its last byte's unused bits are skipped).
    static func inflate(
        _ input: UnsafeRawBufferPointer, from start: Int, into output: inout OutputBuffer, scratch: InflateScratch
    ) throws(InflateError) -> Int {
        guard start < input.count, let base = input.baseAddress else { throw .truncated }
        var inflater = RawInflater(input: base, inputEnd: input.count, position: start, outputCount: output.count, scratch: scratch)
        let limit = output.limit
        while true {
            let finished = try output.bytes.withUnsafeMutableBufferPointer { buffer throws(InflateError) in
                try inflater.run(buffer.baseAddress!, end: min(buffer.count, limit))
            }
            output.count = inflater.outputCount
            if finished { return inflater.position }
            try output.grow()
        }
    }

    /// Decodes until the stream ends (true) or the output has no room left (false).
    private mutating func run(_ output: UnsafeMutablePointer<UInt8>, end: Int) throws(InflateError) -> Bool {
        while true {
            if pendingLength > 0 {
                let count = min(pendingLength, end - outputCount)
                RawInflater.copyMatch(output + outputCount, distance: pendingDistance, count: count)
                outputCount += count
                pendingLength -= count
                if pendingLength > 0 { return false }
            }
            switch phase {
            case .blockHeader:
                if isLastBlock {
                    finishStream()
                    return true
                }
                try readBlockHeader()
            case .stored(let remaining):
                let count = min(remaining, end - outputCount)
                UnsafeMutableRawPointer(output + outputCount).copyMemory(from: input + position, byteCount: count)
                position += count
                outputCount += count
                if count < remaining {
                    phase = .stored(remaining: remaining - count)
                    return false
                }
                phase = .blockHeader
            case .huffmanCodes:
                if try !decodeSymbols(output, end: end) { return false }
            case .finished:
                return true
            }
        }
    }

    // MARK: Block headers

    private mutating func readBlockHeader() throws(InflateError) {
        // RFC 1951 §3.2.3: BFINAL, then BTYPE.
        let header = try readBits(3)
        isLastBlock = header & 1 == 1
        switch header >> 1 {
        case 0:
            try readStoredHeader()
        case 1:
            useFixedCodes()
            phase = .huffmanCodes
        case 2:
            try readDynamicCodes()
            phase = .huffmanCodes
        default:
            throw .malformed(.invalidBlockType)
        }
    }

    private mutating func readStoredHeader() throws(InflateError) {
        // RFC 1951 §3.2.4: the rest of the current byte is skipped; LEN and NLEN follow.
        dropBits(bitCount % 8)
        let length = try readBits(16)
        let complement = try readBits(16)
        guard length == ~complement & 0xFFFF else { throw .malformed(.storedLengthMismatch) }
        // The data is copied straight from the input, so the whole bytes in the bit buffer go back.
        returnBufferedBytes()
        guard inputEnd - position >= length else { throw .truncated }
        phase = .stored(remaining: length)
    }

    private mutating func useFixedCodes() {
        guard !tablesHoldFixedCodes else { return }
        fixedTables.literalLength.withUnsafeBufferPointer { scratch.literalLengthTable.update(from: $0.baseAddress!, count: $0.count) }
        fixedTables.distance.withUnsafeBufferPointer { scratch.distanceTable.update(from: $0.baseAddress!, count: $0.count) }
        tablesHoldFixedCodes = true
    }

    /// Reads the code lengths of a dynamic block and builds its tables (RFC 1951 §3.2.7).
    private mutating func readDynamicCodes() throws(InflateError) {
        tablesHoldFixedCodes = false
        let literalLengthCount = try readBits(5) + 257
        let distanceCount = try readBits(5) + 1
        let codeLengthCount = try readBits(4) + 4
        // HLIT's five bits could say 288, but only 257–286 are allowed. HDIST may say 32: the
        // lengths of codes 30 and 31 are accepted, and decoding either code is an error.
        guard literalLengthCount <= 286 else { throw .malformed(.tooManyLiteralLengthCodes) }

        let lengths = scratch.lengths
        lengths.update(repeating: 0, count: codeLengthOrder.count)
        for index in 0..<codeLengthCount {
            lengths[codeLengthOrder[index]] = UInt8(try readBits(3))
        }
        try HuffmanTable.build(
            scratch.codeLengthTable, alphabet: .codeLength,
            lengths: UnsafeBufferPointer(start: lengths, count: codeLengthOrder.count), scratch: scratch.symbols)

        // Literal/length and distance code lengths form one sequence, so a run may cross from one
        // into the other.
        let total = literalLengthCount + distanceCount
        var index = 0
        while index < total {
            let entry = try peekCodeLength()
            dropBits(HuffmanEntry.codeLength(entry))
            let symbol = HuffmanEntry.value(entry)
            if symbol < 16 {
                lengths[index] = UInt8(symbol)
                index += 1
                continue
            }
            var repeated: UInt8 = 0
            let runLength: Int
            switch symbol {
            case 16:
                guard index > 0 else { throw .malformed(.repeatWithoutPreviousLength) }
                repeated = lengths[index - 1]
                runLength = 3 + (try readBits(2))
            case 17:
                runLength = 3 + (try readBits(3))
            default:
                runLength = 11 + (try readBits(7))
            }
            guard runLength <= total - index else { throw .malformed(.tooManyCodeLengths) }
            (lengths + index).update(repeating: repeated, count: runLength)
            index += runLength
        }
        guard lengths[256] != 0 else { throw .malformed(.missingEndOfBlockCode) }
        try HuffmanTable.build(
            scratch.literalLengthTable, alphabet: .literalLength,
            lengths: UnsafeBufferPointer(start: lengths, count: literalLengthCount), scratch: scratch.symbols)
        try HuffmanTable.build(
            scratch.distanceTable, alphabet: .distance,
            lengths: UnsafeBufferPointer(start: lengths + literalLengthCount, count: distanceCount), scratch: scratch.symbols)
    }

    /// The code-length code's entry for the next bits, which the caller consumes.
    private mutating func peekCodeLength() throws(InflateError) -> UInt32 {
        if bitCount < 7 { refillSlowly() }
        let entry = scratch.codeLengthTable[Int(truncatingIfNeeded: bitBuffer & 0x7F)]
        guard HuffmanEntry.codeLength(entry) <= bitCount else { throw .truncated }
        return entry
    }

    // MARK: Huffman-coded data

    /// Decodes literal/length symbols until the end of the block (true) or until the output has no
    /// room for the next one (false).
    private mutating func decodeSymbols(_ output: UnsafeMutablePointer<UInt8>, end: Int) throws(InflateError) -> Bool {
        let literalLengthTable = UnsafePointer(scratch.literalLengthTable)
        let distanceTable = UnsafePointer(scratch.distanceTable)
        let input = self.input
        let windowStart = self.windowStart
        // Locals, so that the hot loop keeps them in registers.
        var bits = bitBuffer
        var bitCount = self.bitCount
        var position = self.position
        var produced = outputCount

        // The fast loop: with 8 input bytes left, one refill gives at least 56 bits, more than a
        // length/distance pair takes (15 + 5 + 15 + 13 = 48); with room for the longest match (258)
        // and 8 more, a match may be copied in whole words.
        let fastInputEnd = inputEnd - 8
        let fastOutputEnd = end - (258 + 8)
        while position <= fastInputEnd && produced <= fastOutputEnd {
            bits |= UInt64(littleEndian: input.loadUnaligned(fromByteOffset: position, as: UInt64.self)) &<< UInt64(bitCount)
            position &+= (63 &- bitCount) &>> 3
            bitCount |= 56

            var entry = literalLengthTable[Int(truncatingIfNeeded: bits & 0x3FF)]
            if entry & HuffmanEntry.kindMask == HuffmanEntry.link {
                entry = literalLengthTable[HuffmanEntry.value(entry) + RawInflater.low(bits &>> 10, HuffmanEntry.extraBits(entry))]
            }
            let kind = entry & HuffmanEntry.kindMask
            let codeLength = HuffmanEntry.codeLength(entry)
            bits &>>= UInt64(codeLength)
            bitCount &-= codeLength
            if kind == HuffmanEntry.literal {
                output[produced] = UInt8(truncatingIfNeeded: entry &>> 16)
                produced &+= 1
                continue
            }
            if kind == HuffmanEntry.match {
                let lengthExtra = HuffmanEntry.extraBits(entry)
                let length = HuffmanEntry.value(entry) &+ RawInflater.low(bits, lengthExtra)
                bits &>>= UInt64(lengthExtra)
                bitCount &-= lengthExtra

                var distanceEntry = distanceTable[Int(truncatingIfNeeded: bits & 0xFF)]
                if distanceEntry & HuffmanEntry.kindMask == HuffmanEntry.link {
                    distanceEntry = distanceTable[HuffmanEntry.value(distanceEntry) + RawInflater.low(bits &>> 8, HuffmanEntry.extraBits(distanceEntry))]
                }
                guard distanceEntry & HuffmanEntry.kindMask == HuffmanEntry.match else {
                    throw .malformed(.invalidDistanceCode)
                }
                let distanceCodeLength = HuffmanEntry.codeLength(distanceEntry)
                bits &>>= UInt64(distanceCodeLength)
                let distanceExtra = HuffmanEntry.extraBits(distanceEntry)
                let distance = HuffmanEntry.value(distanceEntry) &+ RawInflater.low(bits, distanceExtra)
                bits &>>= UInt64(distanceExtra)
                bitCount &-= distanceCodeLength &+ distanceExtra
                guard distance <= produced &- windowStart else { throw .malformed(.distanceTooFarBack) }
                RawInflater.copyMatchFast(output + produced, distance: distance, count: length)
                produced &+= length
                continue
            }
            if kind == HuffmanEntry.endOfBlock {
                save(bits: bits, bitCount: bitCount, position: position, produced: produced)
                phase = .blockHeader
                return true
            }
            throw .malformed(.invalidLiteralLengthCode)
        }

        // The careful loop: every read is checked against the input's end, every write against the
        // room left. A symbol is consumed only once it is known to fit, so decoding can stop at
        // the limit and resume after the output grows.
        while true {
            while bitCount < 56 && position < inputEnd {
                bits |= UInt64(input.load(fromByteOffset: position, as: UInt8.self)) &<< UInt64(bitCount)
                position += 1
                bitCount += 8
            }
            var entry = literalLengthTable[Int(truncatingIfNeeded: bits & 0x3FF)]
            if entry & HuffmanEntry.kindMask == HuffmanEntry.link {
                entry = literalLengthTable[HuffmanEntry.value(entry) + RawInflater.low(bits &>> 10, HuffmanEntry.extraBits(entry))]
            }
            let kind = entry & HuffmanEntry.kindMask
            let codeLength = HuffmanEntry.codeLength(entry)
            // Past the input's end the bit buffer holds zeros; a code that reaches into them was cut off.
            guard codeLength <= bitCount else { throw .truncated }
            if kind == HuffmanEntry.literal {
                guard produced < end else {
                    save(bits: bits, bitCount: bitCount, position: position, produced: produced)
                    return false
                }
                output[produced] = UInt8(truncatingIfNeeded: entry >> 16)
                produced += 1
                bits >>= UInt64(codeLength)
                bitCount -= codeLength
                continue
            }
            if kind == HuffmanEntry.endOfBlock {
                save(bits: bits >> UInt64(codeLength), bitCount: bitCount - codeLength, position: position, produced: produced)
                phase = .blockHeader
                return true
            }
            guard kind == HuffmanEntry.match else { throw .malformed(.invalidLiteralLengthCode) }

            let lengthExtra = HuffmanEntry.extraBits(entry)
            var used = codeLength + lengthExtra
            guard used <= bitCount else { throw .truncated }
            let length = HuffmanEntry.value(entry) + RawInflater.low(bits >> UInt64(codeLength), lengthExtra)
            var distanceEntry = distanceTable[RawInflater.low(bits >> UInt64(used), 8)]
            if distanceEntry & HuffmanEntry.kindMask == HuffmanEntry.link {
                distanceEntry = distanceTable[HuffmanEntry.value(distanceEntry) + RawInflater.low(bits >> UInt64(used + 8), HuffmanEntry.extraBits(distanceEntry))]
            }
            used += HuffmanEntry.codeLength(distanceEntry)
            guard used <= bitCount else { throw .truncated }
            guard distanceEntry & HuffmanEntry.kindMask == HuffmanEntry.match else { throw .malformed(.invalidDistanceCode) }
            let distanceExtra = HuffmanEntry.extraBits(distanceEntry)
            guard used + distanceExtra <= bitCount else { throw .truncated }
            let distance = HuffmanEntry.value(distanceEntry) + RawInflater.low(bits >> UInt64(used), distanceExtra)
            used += distanceExtra
            guard distance <= produced - windowStart else { throw .malformed(.distanceTooFarBack) }
            guard produced < end else {
                save(bits: bits, bitCount: bitCount, position: position, produced: produced)
                return false
            }
            bits >>= UInt64(used)
            bitCount -= used
            let count = min(length, end - produced)
            RawInflater.copyMatch(output + produced, distance: distance, count: count)
            produced += count
            if count < length {
                pendingLength = length - count
                pendingDistance = distance
                save(bits: bits, bitCount: bitCount, position: position, produced: produced)
                return false
            }
        }
    }

    @inline(__always)
    private mutating func save(bits: UInt64, bitCount: Int, position: Int, produced: Int) {
        bitBuffer = bits
        self.bitCount = bitCount
        self.position = position
        outputCount = produced
    }

    /// The low `count` bits of `bits`.
    @inline(__always)
    private static func low(_ bits: UInt64, _ count: Int) -> Int {
        Int(truncatingIfNeeded: bits & ((1 &<< UInt64(count)) &- 1))
    }

    /// Copies a match of `count` bytes from `distance` bytes back, in whole words where the
    /// distance allows: may write up to 7 bytes past the match, which the fast loop leaves room for.
    @inline(__always)
    private static func copyMatchFast(_ target: UnsafeMutablePointer<UInt8>, distance: Int, count: Int) {
        if distance >= 8 {
            // Each word read ends at least 8 bytes before the write position, so it only reads
            // bytes already written, even when the match overlaps itself.
            var to = UnsafeMutableRawPointer(target)
            var from = UnsafeRawPointer(target - distance)
            let end = to + count
            repeat {
                to.storeBytes(of: from.loadUnaligned(as: UInt64.self), as: UInt64.self)
                to += 8
                from += 8
            } while to < end
        } else {
            copyMatch(target, distance: distance, count: count)
        }
    }

    /// Copies a match of `count` bytes from `distance` bytes back, writing nothing past it.
    ///
    /// When the match overlaps itself (distance < count) it repeats the last `distance` bytes
    /// (RFC 1951 §3.2.3). Each step copies everything from the match's source to the write
    /// position, a whole number of repetitions, so the copies never overlap and the repeated part
    /// doubles: a run of 258 zeros takes 9 `memcpy`s rather than 258 byte stores.
    @inline(__always)
    private static func copyMatch(_ target: UnsafeMutablePointer<UInt8>, distance: Int, count: Int) {
        let start = UnsafeMutableRawPointer(target)
        var written = 0
        var repeated = distance
        while written < count {
            let step = min(repeated, count - written)
            (start + written).copyMemory(from: start + written - repeated, byteCount: step)
            written += step
            repeated += step
        }
    }

    // MARK: Bits

    /// Reads `count` (at most 32) bits, the first in bit 0.
    private mutating func readBits(_ count: Int) throws(InflateError) -> Int {
        if bitCount < count {
            refillSlowly()
            if bitCount < count { throw .truncated }
        }
        let value = RawInflater.low(bitBuffer, count)
        dropBits(count)
        return value
    }

    /// Adds whole bytes while they fit: the buffer then holds 56–63 bits, or the rest of the input.
    private mutating func refillSlowly() {
        while bitCount < 56 && position < inputEnd {
            bitBuffer |= UInt64(input.load(fromByteOffset: position, as: UInt8.self)) << UInt64(bitCount)
            position += 1
            bitCount += 8
        }
    }

    @inline(__always)
    private mutating func dropBits(_ count: Int) {
        bitBuffer >>= UInt64(count)
        bitCount -= count
    }

    /// Gives the whole bytes in the bit buffer back to the input; the buffer must hold whole bytes.
    private mutating func returnBufferedBytes() {
        precondition(bitCount % 8 == 0)
        position -= bitCount / 8
        bitBuffer = 0
        bitCount = 0
    }

    /// Skips the unused bits of the stream's last byte.
    private mutating func finishStream() {
        dropBits(bitCount % 8)
        returnBufferedBytes()
        phase = .finished
    }
}

/// The order in which a dynamic block lists the code-length code's lengths (RFC 1951 §3.2.7).
private let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

/// The tables of the fixed codes (RFC 1951 §3.2.6), built once.
private let fixedTables = FixedTables()

private struct FixedTables: Sendable {
    /// Root tables only: no fixed code is longer than the root tables' index bits.
    let literalLength: [UInt32]
    let distance: [UInt32]

    init() {
        var lengths = [UInt8](repeating: 8, count: 288)
        for symbol in 144..<256 { lengths[symbol] = 9 }
        for symbol in 256..<280 { lengths[symbol] = 7 }
        literalLength = FixedTables.table(.literalLength, lengths)
        // Codes 30 and 31 are part of the fixed distance code but never valid (RFC 1951 §3.2.6).
        distance = FixedTables.table(.distance, [UInt8](repeating: 5, count: 32))
    }

    private static func table(_ alphabet: Alphabet, _ lengths: [UInt8]) -> [UInt32] {
        let symbols = UnsafeMutablePointer<UInt16>.allocate(capacity: lengths.count)
        defer { symbols.deallocate() }
        var table = [UInt32](repeating: 0, count: alphabet.tableCapacity)
        table.withUnsafeMutableBufferPointer { table in
            lengths.withUnsafeBufferPointer { lengths in
                do {
                    try HuffmanTable.build(table.baseAddress!, alphabet: alphabet, lengths: lengths, scratch: symbols)
                } catch {
                    preconditionFailure("the fixed codes are complete prefix codes")
                }
            }
        }
        return Array(table[0..<(1 << alphabet.rootBits)])
    }
}
