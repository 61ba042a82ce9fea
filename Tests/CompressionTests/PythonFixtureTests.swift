import Compression
import Testing

// Streams from another implementation (Python's zlib and gzip modules, see make-fixtures.py):
// every input at every level, in all three wrappings, must decode to its exact plaintext.

@Test(arguments: Format.allCases)
func pythonStreams_decodeToTheirPlaintext(format: Format) throws {
    for stream in pythonStreams {
        let input: [UInt8]
        switch format {
        case .gzip: input = stream.gzip
        case .zlib: input = stream.zlib
        case .raw: input = stream.raw
        }
        let plaintext = stream.input.bytes
        let decoded = outcome { () throws(InflateError) in try format.decode(input, maxOutputBytes: 1 << 20) }
        #expect(summary(decoded) == summary(.success(plaintext)), "\(stream.input) level \(stream.level)")
    }
}

@Test func pythonVariants_decodeToTheirPlaintext() throws {
    for variant in pythonVariants {
        let decoded = outcome { () throws(InflateError) in try Inflate.rawInflate(variant.raw, maxOutputBytes: 1 << 20) }
        #expect(summary(decoded) == summary(.success(variant.input.bytes)), "\(variant.input): \(variant.description)")
    }
}

@Test func pythonStreams_limitIsExact() throws {
    // The limit is the largest output allowed: a limit of the plaintext's size succeeds and one
    // byte less fails, whatever block or match the last byte comes from.
    for stream in pythonStreams where stream.level == 0 || stream.level == 1 || stream.level == 9 {
        let plaintext = stream.input.bytes
        let decoded = outcome { () throws(InflateError) in try Inflate.gunzip(stream.gzip, maxOutputBytes: plaintext.count) }
        #expect(summary(decoded) == summary(.success(plaintext)), "\(stream.input) level \(stream.level)")
        if !plaintext.isEmpty {
            #expect(throws: InflateError.outputTooLarge, "\(stream.input) level \(stream.level)") {
                try Inflate.gunzip(stream.gzip, maxOutputBytes: plaintext.count - 1)
            }
        }
    }
}

@Test func gunzip_headerWithEveryOptionalField_isSkippedAndItsCRCChecked() throws {
    let member = decodeBase64(headerFieldsGzip)
    #expect(member[3] == 0x1F, "FTEXT, FHCRC, FEXTRA, FNAME and FCOMMENT are set")
    #expect(try Inflate.gunzip(member, maxOutputBytes: 1000) == FixtureInput.shortJSON.bytes)

    // The header CRC sits just before the DEFLATE data; both of its bytes are checked.
    let crcOffset = member.count - 8 - pythonStreams.first { $0.input == .shortJSON && $0.level == 6 }!.raw.count - 2
    for offset in [crcOffset, crcOffset + 1] {
        var corrupted = member
        corrupted[offset] ^= 0x01
        #expect(throws: InflateError.checksumMismatch) { try Inflate.gunzip(corrupted, maxOutputBytes: 1000) }
    }
    // A flipped byte inside FNAME changes the header CRC too.
    var renamed = member
    renamed[renamed.firstIndex(of: UInt8(ascii: "s"))!] = UInt8(ascii: "S")
    #expect(throws: InflateError.checksumMismatch) { try Inflate.gunzip(renamed, maxOutputBytes: 1000) }
}

@Test func gunzip_twoMembers_decodeOneAfterTheOther() throws {
    let expected = FixtureInput.shortJSON.bytes + Array(FixtureInput.jsonRecords.bytes[0..<3000])
    #expect(try Inflate.gunzip(decodeBase64(twoMemberGzip), maxOutputBytes: 10_000) == expected)
    // The limit counts both members together.
    #expect(throws: InflateError.outputTooLarge) {
        try Inflate.gunzip(decodeBase64(twoMemberGzip), maxOutputBytes: expected.count - 1)
    }
}

@Test func gunzip_tenMillionZeros_decodesWithinItsSizeAndFailsBelowIt() throws {
    let bomb = decodeBase64(tenMillionZerosGzip)
    #expect(bomb.count < 20_000)
    #expect(throws: InflateError.outputTooLarge) { try Inflate.gunzip(bomb, maxOutputBytes: 1 << 20) }
    let zeros = try Inflate.gunzip(bomb, maxOutputBytes: 10_000_000)
    #expect(zeros.count == 10_000_000)  // and gunzip checked their CRC-32
}

@Test func throughput_isPrintedNotAsserted() throws {
    // A number to read, not to assert: debug builds are many times slower than release, so
    // measure with `swift test -c release --filter CompressionTests.throughput`.
    let stream = pythonStreams.first { $0.input == .jsonRecords && $0.level == 6 }!.gzip
    let clock = ContinuousClock()
    let rounds = 20
    var bytes = 0
    let elapsed = try clock.measure {
        for _ in 0..<rounds { bytes += try Inflate.gunzip(stream, maxOutputBytes: 1 << 20).count }
    }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print("gunzip of \(stream.count) bytes to \(bytes / rounds) (JSON records, level 6): \(Int(Double(bytes) / seconds / 1e6)) MB/s")
}
