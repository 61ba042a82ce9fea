import Compression
import Foundation
import Testing
import TestSupport

/// The plaintexts of the Python fixtures, made by the same recipes as `plaintexts()` in make-fixtures.py.
enum FixtureInput: String, CaseIterable, Sendable {
    case empty, oneByte, shortJSON, jsonRecords, randomBytes, repetitive, longDistance, farDistance

    var bytes: [UInt8] { fixturePlaintexts[self]! }

    fileprivate func make() -> [UInt8] {
        switch self {
        case .empty:
            return []
        case .oneByte:
            return Array("x".utf8)
        case .shortJSON:
            return Array(#"{"eventId":"evt_2025_1001","seats":["A1","A2"],"quantity":2,"holder":"user-42"}"#.utf8)
        case .jsonRecords:
            return seededJSON(seed: 1, count: 100_000)
        case .randomBytes:
            return seededBytes(seed: 2, count: 65536)
        case .repetitive:
            var bytes = [UInt8]()
            for _ in 0..<5000 { bytes += Array("ab".utf8) }
            bytes += [UInt8](repeating: 0, count: 20000)
            for _ in 0..<1000 { bytes += Array("the quick brown fox ".utf8) }
            for _ in 0..<40 { bytes += (0...255).map { UInt8($0) } }
            return bytes
        case .longDistance:
            let far = seededBytes(seed: 3, count: 4096)
            return far + seededJSON(seed: 4, count: 28372) + far + seededBytes(seed: 5, count: 1000)
        case .farDistance:
            return seededBytes(seed: 6, count: 32768) + seededBytes(seed: 6, count: 516)
        }
    }
}

private let fixturePlaintexts: [FixtureInput: [UInt8]] = Dictionary(
    uniqueKeysWithValues: FixtureInput.allCases.map { ($0, $0.make()) })

/// Generator outputs, least significant byte first. make-fixtures.py has the same generator
/// (SplitMix64, TestSupport's `SeededGenerator`), so both sides derive the same plaintexts.
func seededBytes(seed: UInt64, count: Int) -> [UInt8] {
    var random = SeededGenerator(seed: seed)
    var bytes = [UInt8]()
    bytes.reserveCapacity(count + 8)
    while bytes.count < count {
        withUnsafeBytes(of: random.next().littleEndian) { bytes += $0 }
    }
    return Array(bytes[0..<count])
}

/// A JSON array of reservation records cut to exactly `count` bytes.
func seededJSON(seed: UInt64, count: Int) -> [UInt8] {
    let statuses = ["HELD", "CONFIRMED", "CANCELLED", "EXPIRED"]
    let rows = Array("ABCDEFGH")
    var random = SeededGenerator(seed: seed)
    var bytes = Array("[".utf8)
    var index = 0
    while bytes.count < count {
        let r = random.next()
        let number = String(index)
        let id = String(repeating: "0", count: max(0, 6 - number.count)) + number
        if index > 0 { bytes += Array(",\n".utf8) }
        bytes += Array(
            (#"{"id":"res_\#(id)","eventId":"evt_\#(r % 7)","seat":"\#(rows[Int((r >> 8) % 8)])\#((r >> 16) % 40 + 1)","#
                + #""quantity":\#((r >> 24) % 4 + 1),"status":"\#(statuses[Int((r >> 32) % 4)])","holder":"user-\#((r >> 40) % 1000)"}"#).utf8)
        index += 1
    }
    return Array(bytes[0..<count])
}

/// One input compressed by Python at one level, as raw DEFLATE, zlib and gzip.
struct PythonStream {
    let input: FixtureInput
    let level: Int
    let body: Int
    let zlibHeader: [UInt8]
    let zlibTrailer: [UInt8]
    let gzipHeader: [UInt8]
    let gzipTrailer: [UInt8]

    var raw: [UInt8] { rebuild(deflateBodies[body], input: input) }
    var zlib: [UInt8] { zlibHeader + raw + zlibTrailer }
    var gzip: [UInt8] { gzipHeader + raw + gzipTrailer }
}

/// A raw DEFLATE stream made with other settings than a plain level.
struct PythonVariant {
    let input: FixtureInput
    let description: String
    let body: Int

    var raw: [UInt8] { rebuild(deflateBodies[body], input: input) }
}

/// Part of a stored DEFLATE body: literal bytes, or bytes of the plaintext (a stored block's data).
enum BodyPiece {
    case base64(String)
    case plaintext(Int, count: Int)
}

func rebuild(_ pieces: [BodyPiece], input: FixtureInput) -> [UInt8] {
    var bytes = [UInt8]()
    for piece in pieces {
        switch piece {
        case .base64(let text): bytes += decodeBase64(text)
        case .plaintext(let start, let count): bytes += input.bytes[start..<start + count]
        }
    }
    return bytes
}

func decodeBase64(_ text: String) -> [UInt8] {
    [UInt8](Data(base64Encoded: text, options: .ignoreUnknownCharacters)!)
}

/// What a decoder did with an input: its output or its error.
func outcome(_ decode: () throws(InflateError) -> [UInt8]) -> Result<[UInt8], InflateError> {
    Result { () throws(InflateError) in try decode() }
}

/// A result in a few words, "79 bytes, CRC-32 a1b2c3d4" or the error, so that a failed
/// comparison of large outputs prints a line rather than every byte.
func summary(_ result: Result<[UInt8], InflateError>) -> String {
    switch result {
    case .success(let bytes): "\(bytes.count) bytes, CRC-32 \(String(Checksum.crc32(bytes), radix: 16))"
    case .failure(let error): "\(error)"
    }
}

/// The three decoders under one signature, for tests that run each.
enum Format: CaseIterable, CustomStringConvertible {
    case gzip, zlib, raw

    func decode(_ input: [UInt8], maxOutputBytes: Int) throws(InflateError) -> [UInt8] {
        switch self {
        case .gzip: try Inflate.gunzip(input, maxOutputBytes: maxOutputBytes)
        case .zlib: try Inflate.zlibInflate(input, maxOutputBytes: maxOutputBytes)
        case .raw: try Inflate.rawInflate(input, maxOutputBytes: maxOutputBytes)
        }
    }

    var description: String {
        switch self {
        case .gzip: "gzip"
        case .zlib: "zlib"
        case .raw: "raw"
        }
    }
}

/// Wraps raw DEFLATE data in a gzip member (RFC 1952 §2.3) with the given plaintext's checks.
func gzipWrap(_ raw: [UInt8], plaintext: [UInt8]) -> [UInt8] {
    let crc = Checksum.crc32(plaintext)
    let size = UInt32(truncatingIfNeeded: plaintext.count)
    return [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255] + raw + littleEndian(crc) + littleEndian(size)
}

/// Wraps raw DEFLATE data in a zlib stream (RFC 1950) with the given plaintext's Adler-32.
func zlibWrap(_ raw: [UInt8], plaintext: [UInt8]) -> [UInt8] {
    let adler = Checksum.adler32(plaintext)
    return [0x78, 0x9C] + raw + [UInt8(adler >> 24), UInt8((adler >> 16) & 0xFF), UInt8((adler >> 8) & 0xFF), UInt8(adler & 0xFF)]
}

func littleEndian(_ value: UInt32) -> [UInt8] {
    (0..<4).map { UInt8((value >> (8 * UInt32($0))) & 0xFF) }
}

/// Writes bits in DEFLATE's order: values from their least significant bit, Huffman codes from
/// their most significant (RFC 1951 §3.1.1).
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    private var bitIndex = 0

    var isByteAligned: Bool { bitIndex == 0 }

    mutating func bits(_ value: Int, count: Int) {
        for index in 0..<count {
            if bitIndex == 0 { bytes.append(0) }
            bytes[bytes.count - 1] |= UInt8((value >> index) & 1) << UInt8(bitIndex)
            bitIndex = (bitIndex + 1) % 8
        }
    }

    mutating func code(_ code: Int, length: Int) {
        for index in (0..<length).reversed() { bits((code >> index) & 1, count: 1) }
    }

    /// Appends whole bytes; the writer must be at a byte boundary.
    mutating func append(_ more: [UInt8]) {
        precondition(isByteAligned)
        bytes += more
    }

    /// BFINAL and BTYPE (RFC 1951 §3.2.3).
    mutating func blockHeader(last: Bool, type: Int) {
        bits(last ? 1 : 0, count: 1)
        bits(type, count: 2)
    }

    /// A literal/length symbol in the fixed code (RFC 1951 §3.2.6).
    mutating func fixedSymbol(_ symbol: Int) {
        switch symbol {
        case 0..<144: code(0b0011_0000 + symbol, length: 8)
        case 144..<256: code(0b1_1001_0000 + symbol - 144, length: 9)
        case 256..<280: code(symbol - 256, length: 7)
        default: code(0b1100_0000 + symbol - 280, length: 8)
        }
    }

    /// A dynamic block's code lengths (RFC 1951 §3.2.7), sent plainly: all 19 code-length code
    /// lengths, 4 bits for each of the lengths 0–15 (a complete code, where length `n` is code `n`),
    /// then one code-length symbol per length, no runs.
    mutating func dynamicCodes(literalLength: [Int], distance: [Int]) {
        bits(literalLength.count - 257, count: 5)
        bits(distance.count - 1, count: 5)
        bits(19 - 4, count: 4)
        for symbol in [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15] {
            bits(symbol < 16 ? 4 : 0, count: 3)
        }
        for length in literalLength + distance { code(length, length: 4) }
    }
}

/// The canonical codes for `lengths` (RFC 1951 §3.2.2): `(code, length)` per symbol.
func canonicalCodes(_ lengths: [Int]) -> [(code: Int, length: Int)] {
    var counts = [Int](repeating: 0, count: 16)
    for length in lengths where length > 0 { counts[length] += 1 }  // counts[0] stays 0
    var next = [Int](repeating: 0, count: 16)
    var code = 0
    for length in 1..<16 {
        code = (code + counts[length - 1]) << 1
        next[length] = code
    }
    return lengths.map { length in
        guard length > 0 else { return (0, 0) }
        defer { next[length] += 1 }
        return (next[length], length)
    }
}
