import Compression
import Testing

// maxOutputBytes is a hard limit checked while decoding, so a small input that expands enormously
// (a "zip bomb") fails once it has produced the limit, without reading further or allocating more.

/// Raw DEFLATE for one zero byte and then four 258-byte matches at distance 1 per byte of
/// `zeroByteCount`: with a one-bit length code and a one-bit distance code, each match is two zero bits.
func zeroBomb(zeroByteCount: Int) -> [UInt8] {
    var literalLength = [Int](repeating: 0, count: 286)
    literalLength[285] = 1  // code 0
    literalLength[0] = 2  // code 10
    literalLength[256] = 2  // code 11
    var writer = BitWriter()
    writer.blockHeader(last: true, type: 2)
    writer.dynamicCodes(literalLength: literalLength, distance: [1, 1])
    writer.code(0b10, length: 2)
    for _ in 0..<4 where !writer.isByteAligned { writer.bits(0, count: 2) }
    writer.append([UInt8](repeating: 0, count: zeroByteCount))
    writer.code(0b11, length: 2)
    return writer.bytes
}

@Test func zeroBomb_decodesToItsSize() throws {
    let bomb = zeroBomb(zeroByteCount: 10)
    let zeros = try Inflate.rawInflate(bomb, maxOutputBytes: 1 << 20)
    #expect(zeros.count > 40 * 258 && zeros.allSatisfy { $0 == 0 })
    #expect(try Inflate.rawInflate(bomb, maxOutputBytes: zeros.count).count == zeros.count)
}

@Test func gigabyteBomb_failsAtTheLimit() {
    // 1 MB of input that would decode to over 1 GB.
    let bomb = zeroBomb(zeroByteCount: 1_000_000)
    #expect(throws: InflateError.outputTooLarge) { try Inflate.rawInflate(bomb, maxOutputBytes: 1 << 20) }
    // The gzip trailer claims 4 GiB − 1 and a CRC that is never reached: nothing is sized by it.
    let gzip = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255] + bomb + [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
    #expect(throws: InflateError.outputTooLarge) { try Inflate.gunzip(gzip, maxOutputBytes: 1 << 20) }
    #expect(throws: InflateError.outputTooLarge) { try Inflate.zlibInflate([0x78, 0xDA] + bomb + [0, 0, 0, 0], maxOutputBytes: 1 << 20) }
}

@Test func bombCutShort_failsAtTheLimitBeforeReachingTheCut() {
    // Without the end-of-block code the stream is truncated, but decoding never gets that far.
    let bomb = Array(zeroBomb(zeroByteCount: 1000).dropLast())
    #expect(throws: InflateError.truncated) { try Inflate.rawInflate(bomb, maxOutputBytes: 1 << 21) }
    #expect(throws: InflateError.outputTooLarge) { try Inflate.rawInflate(bomb, maxOutputBytes: 65536) }
}

@Test func limitZero_allowsOnlyEmptyOutput() throws {
    let empty = pythonStreams.first { $0.input == .empty && $0.level == 6 }!
    #expect(try Inflate.gunzip(empty.gzip, maxOutputBytes: 0) == [])
    #expect(try Inflate.zlibInflate(empty.zlib, maxOutputBytes: 0) == [])
    #expect(try Inflate.rawInflate(empty.raw, maxOutputBytes: 0) == [])
    let oneByte = pythonStreams.first { $0.input == .oneByte && $0.level == 0 }!
    #expect(throws: InflateError.outputTooLarge) { try Inflate.gunzip(oneByte.gzip, maxOutputBytes: 0) }
    #expect(try Inflate.gunzip(oneByte.gzip, maxOutputBytes: 1) == [UInt8(ascii: "x")])
}

@Test func everyLimitAroundTheOutputSize_succeedsExactlyFromTheSize() throws {
    // Small limits stop the decoder inside literals, matches and stored blocks; each limit below
    // the size fails, each from the size on succeeds with the same bytes.
    for stream in pythonStreams where stream.input == .shortJSON || (stream.input == .repetitive && stream.level == 9) {
        let plaintext = stream.input.bytes
        let limits = stream.input == .shortJSON ? Array(0...plaintext.count + 2) : Array(plaintext.count - 600...plaintext.count + 2)
        for limit in limits {
            let result = outcome { () throws(InflateError) in try Inflate.gunzip(stream.gzip, maxOutputBytes: limit) }
            let expected: Result<[UInt8], InflateError> = limit < plaintext.count ? .failure(.outputTooLarge) : .success(plaintext)
            #expect(summary(result) == summary(expected), "\(stream.input) level \(stream.level), limit \(limit)")
        }
    }
}

@Test func decodedArray_isNotReservedBeyondTheLimit() throws {
    let stream = pythonStreams.first { $0.input == .jsonRecords && $0.level == 6 }!
    let plaintext = stream.input.bytes
    let decoded = try Inflate.gunzip(stream.gzip, maxOutputBytes: plaintext.count)
    #expect(decoded.count == plaintext.count)  // and gunzip checked the CRC-32
    // The allocator may round up a little.
    #expect(decoded.capacity <= plaintext.count + 4096 + 64)
}
