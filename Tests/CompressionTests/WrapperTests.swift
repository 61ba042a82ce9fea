import Compression
import Testing

// The gzip (RFC 1952) and zlib (RFC 1950) wrappers: headers, trailers, and what may follow them.

private let plaintext = FixtureInput.shortJSON.bytes
private let stream = pythonStreams.first { $0.input == .shortJSON && $0.level == 6 }!

private func gunzip(_ bytes: [UInt8]) throws(InflateError) -> [UInt8] {
    try Inflate.gunzip(bytes, maxOutputBytes: 1 << 16)
}

private func zlibInflate(_ bytes: [UInt8]) throws(InflateError) -> [UInt8] {
    try Inflate.zlibInflate(bytes, maxOutputBytes: 1 << 16)
}

/// A zlib header with this CMF and FLG bits, and FCHECK set so that the pair is valid (RFC 1950 §2.2).
private func zlibHeader(method: UInt8, flags: UInt8) -> [UInt8] {
    let remainder = (Int(method) << 8 | Int(flags)) % 31
    return [method, flags + UInt8((31 - remainder) % 31)]
}

// MARK: gzip

@Test func gunzip_badMagic_isNotGzip() {
    var bytes = stream.gzip
    bytes[1] = 0x8C
    #expect(throws: InflateError.malformed(.notGzip)) { try gunzip(bytes) }
    #expect(throws: InflateError.malformed(.notGzip)) { try gunzip(stream.zlib) }
}

@Test func gunzip_methodOtherThanDeflate_isUnsupported() {
    var bytes = stream.gzip
    bytes[2] = 7
    #expect(throws: InflateError.malformed(.unsupportedMethod)) { try gunzip(bytes) }
}

@Test func gunzip_reservedFlagBits_areMalformed() {
    for bit in 5..<8 {
        var bytes = stream.gzip
        bytes[3] |= UInt8(1) << UInt8(bit)
        #expect(throws: InflateError.malformed(.reservedFlags)) { try gunzip(bytes) }
    }
}

@Test func gunzip_corruptedTrailer_isAChecksumMismatch() {
    // Each byte of CRC-32 and ISIZE.
    for offset in (stream.gzip.count - 8)..<stream.gzip.count {
        var bytes = stream.gzip
        bytes[offset] ^= 0x40
        #expect(throws: InflateError.checksumMismatch, "byte \(offset)") { try gunzip(bytes) }
    }
}

@Test func gunzip_corruptedData_isDetected() {
    // A flipped bit in the DEFLATE data is either malformed or decodes to other bytes, which the
    // CRC-32 catches. Only the padding after the end-of-block code, in the last byte, is free.
    let lastDataByte = stream.gzip.count - 9
    for offset in 10...lastDataByte {
        for bit in 0..<8 {
            var bytes = stream.gzip
            bytes[offset] ^= UInt8(1) << UInt8(bit)
            switch outcome({ () throws(InflateError) in try gunzip(bytes) }) {
            case .failure: break
            case .success(let decoded): #expect(offset == lastDataByte && decoded == plaintext, "byte \(offset) bit \(bit)")
            }
        }
    }
}

@Test func gunzip_bytesAfterTheLastMember_areTrailingData() throws {
    #expect(try gunzip(stream.gzip) == plaintext)
    #expect(throws: InflateError.trailingData) { try gunzip(stream.gzip + [0]) }
    #expect(throws: InflateError.trailingData) { try gunzip(stream.gzip + [UInt8](repeating: 0, count: 512)) }
    #expect(throws: InflateError.trailingData) { try gunzip(stream.gzip + Array("\n".utf8)) }
    #expect(throws: InflateError.trailingData) { try gunzip(stream.gzip + [0x1F, 0x8C]) }
    // The start of a member that the input cuts off is a truncated member, not garbage.
    #expect(throws: InflateError.truncated) { try gunzip(stream.gzip + [0x1F]) }
    #expect(throws: InflateError.truncated) { try gunzip(stream.gzip + [0x1F, 0x8B, 8]) }
}

@Test func gunzip_memberReferringToThePreviousMember_isMalformed() throws {
    // RFC 1952 §2.2: members are independent; a match may not reach into an earlier member.
    var writer = BitWriter()
    writer.blockHeader(last: true, type: 1)
    writer.fixedSymbol(257)  // length 3
    writer.code(0, length: 5)  // distance 1
    writer.fixedSymbol(256)
    let second = gzipWrap(writer.bytes, plaintext: Array(plaintext.suffix(3)))
    #expect(throws: InflateError.malformed(.distanceTooFarBack)) { try gunzip(stream.gzip + second) }
}

@Test func gunzip_memberOfNothing_decodesToNothing() throws {
    let empty = pythonStreams.first { $0.input == .empty && $0.level == 6 }!.gzip
    #expect(try gunzip(empty) == [])
    #expect(try gunzip(empty + stream.gzip + empty) == plaintext)
    #expect(try Inflate.gunzip(empty, maxOutputBytes: 0) == [])
}

// MARK: zlib

@Test func zlibInflate_headerChecks() throws {
    #expect(try zlibInflate(stream.zlib) == plaintext)
    let body = Array(stream.zlib.dropFirst(2))

    var badCheck = stream.zlib
    badCheck[1] ^= 0x01
    #expect(throws: InflateError.malformed(.badZlibHeader)) { try zlibInflate(badCheck) }
    #expect(throws: InflateError.malformed(.unsupportedMethod)) { try zlibInflate(zlibHeader(method: 0x77, flags: 0x80) + body) }
    #expect(throws: InflateError.malformed(.windowTooLarge)) { try zlibInflate(zlibHeader(method: 0x88, flags: 0x80) + body) }
    #expect(throws: InflateError.malformed(.presetDictionary)) { try zlibInflate(zlibHeader(method: 0x78, flags: 0xA0) + [0, 0, 0, 1] + body) }
    // Any CINFO up to 7 (a window of 256 bytes to 32 KiB) and any FLEVEL is accepted.
    for method: UInt8 in [0x08, 0x38, 0x78] {
        for level: UInt8 in [0x00, 0x40, 0x80, 0xC0] {
            #expect(try zlibInflate(zlibHeader(method: method, flags: level) + body) == plaintext)
        }
    }
}

@Test func zlibInflate_corruptedAdler32_isAChecksumMismatch() {
    for offset in (stream.zlib.count - 4)..<stream.zlib.count {
        var bytes = stream.zlib
        bytes[offset] ^= 0x01
        #expect(throws: InflateError.checksumMismatch) { try zlibInflate(bytes) }
    }
}

@Test func zlibInflate_bytesAfterTheTrailer_areTrailingData() {
    #expect(throws: InflateError.trailingData) { try zlibInflate(stream.zlib + [0]) }
    #expect(throws: InflateError.trailingData) { try zlibInflate(stream.zlib + stream.zlib) }
}

// MARK: Truncation

@Test(arguments: Format.allCases)
func everyProperPrefix_isTruncated(format: Format) {
    // Cut at every byte: a header, block, code table, match or trailer that stops short is
    // reported as truncated (never as something else, never a crash or a hang).
    let inputs: [[UInt8]]
    switch format {
    case .gzip: inputs = [stream.gzip, decodeBase64(headerFieldsGzip), decodeBase64(twoMemberGzip)]
    case .zlib: inputs = pythonStreams.filter { $0.input == .shortJSON && ($0.level == 0 || $0.level == 6) }.map(\.zlib)
    case .raw:
        inputs = pythonStreams.filter { $0.input == .shortJSON }.map(\.raw)
            + pythonVariants.filter { $0.input == .shortJSON || $0.input == .repetitive }.map(\.raw)
    }
    for input in inputs {
        for count in 0..<input.count {
            let result = outcome { () throws(InflateError) in try format.decode(Array(input[0..<count]), maxOutputBytes: 1 << 20) }
            // Cut right after its first member, the two-member stream is a whole one-member stream.
            if format == .gzip && result == .success(plaintext) && input == decodeBase64(twoMemberGzip) { continue }
            #expect(result == .failure(.truncated), "\(format) cut at \(count) of \(input.count)")
        }
    }
}
