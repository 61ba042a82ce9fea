@testable import HTTP2
import Testing
import TestSupport

func huffmanDecode(_ bytes: [UInt8]) -> [UInt8]? {
    var output: [UInt8] = []
    let valid = bytes.withUnsafeBytes { HPACKHuffman.decode($0, into: &output) }
    return valid ? output : nil
}

func huffmanEncode(_ bytes: [UInt8]) -> [UInt8] {
    var output: [UInt8] = []
    HPACKHuffman.encode(bytes, into: &output)
    return output
}

@Test func huffman_codesMatchRFC7541AppendixB() {
    // (symbol, code as hex, length), a sample from every part of the table.
    let rows: [(Int, UInt32, UInt8)] = [
        (0, 0x1FF8, 13), (1, 0x7F_FFD8, 23), (9, 0xFF_FFEA, 24), (10, 0x3FFF_FFFC, 30), (13, 0x3FFF_FFFD, 30),
        (22, 0x3FFF_FFFE, 30), (31, 0xFFF_FFFB, 28), (32, 0x14, 6), (33, 0x3F8, 10), (38, 0xF8, 8), (47, 0x18, 6),
        (48, 0x0, 5), (58, 0x5C, 7), (60, 0x7FFC, 15), (65, 0x21, 6), (88, 0xFC, 8), (92, 0x7_FFF0, 19),
        (94, 0x3FFC, 14), (97, 0x3, 5), (116, 0x9, 5), (122, 0x7B, 7), (123, 0x7FFE, 15), (126, 0x1FFD, 13),
        (127, 0xFFF_FFFC, 28), (128, 0xF_FFE6, 20), (153, 0x1F_FFDC, 21), (171, 0xFF_FFF0, 24), (192, 0x3FF_FFE0, 26),
        (199, 0x1FF_FFEC, 25), (203, 0x7FF_FFDE, 27), (220, 0xFFF_FFFD, 28), (236, 0xFF_FFF4, 24), (249, 0xFFF_FFFE, 28),
        (254, 0x7FF_FFF0, 27), (255, 0x3FF_FFEE, 26), (256, 0x3FFF_FFFF, 30),
    ]
    for (symbol, code, length) in rows {
        #expect(HPACKHuffman.codes[symbol] == code, "symbol \(symbol)")
        #expect(HPACKHuffman.codeLengths[symbol] == length, "symbol \(symbol)")
    }
}

@Test func huffman_encodesTheAppendixCStrings() {
    #expect(huffmanEncode(Array("www.example.com".utf8)) == hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff"))
    #expect(huffmanEncode(Array("no-cache".utf8)) == hex("a8eb 1064 9cbf"))
    #expect(huffmanEncode(Array("custom-key".utf8)) == hex("25a8 49e9 5ba9 7d7f"))
    #expect(huffmanEncode(Array("302".utf8)) == hex("6402"))
    #expect(huffmanEncode(Array("https://www.example.com".utf8)) == hex("9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3"))
    #expect(HPACKHuffman.encodedCount(Array("www.example.com".utf8)) == 12)
}

@Test func huffman_roundTripsEveryByteValue() {
    for byte in 0...255 {
        let single = [UInt8(byte)]
        #expect(huffmanDecode(huffmanEncode(single)) == single, "byte \(byte)")
        #expect(huffmanDecode(huffmanEncode([UInt8(byte), UInt8(byte), 0x61])) == [UInt8(byte), UInt8(byte), 0x61])
    }
    let all = (0...255).map { UInt8($0) }
    #expect(huffmanDecode(huffmanEncode(all)) == all)
    #expect(huffmanDecode(huffmanEncode(all.reversed())) == all.reversed())
    #expect(huffmanDecode([]) == [])
}

@Test(arguments: [UInt64(1), 2, 3])
func huffman_roundTripsRandomStrings(seed: UInt64) {
    var random = SeededGenerator(seed: seed)
    for _ in 0..<500 {
        let count = Int.random(in: 0...64, using: &random)
        // Half printable text, half any byte: both short and long codes.
        let printable = Bool.random(using: &random)
        let bytes = (0..<count).map { _ in printable ? UInt8.random(in: 0x20...0x7E, using: &random) : UInt8.random(in: 0...255, using: &random) }
        let encoded = huffmanEncode(bytes)
        #expect(encoded.count == HPACKHuffman.encodedCount(bytes))
        #expect(huffmanDecode(encoded) == bytes, "\(bytes)")
    }
}

@Test func huffman_rejectsPaddingLongerThanSevenBits() {
    // 'a' is 00011: with 3 bits of padding it fills a byte; a whole extra byte of ones is too much.
    #expect(huffmanDecode([0x1F]) == [0x61])
    #expect(huffmanDecode([0x1F, 0xFF]) == nil)
    // Padding of a whole byte on its own.
    #expect(huffmanDecode([0xFF]) == nil)
}

@Test func huffman_rejectsPaddingThatIsNotTheEOSPrefix() {
    #expect(huffmanDecode([0x18]) == nil)  // 'a' then 000
    #expect(huffmanDecode([0x1D]) == nil)  // 'a' then 101
    // Bits that end inside a longer code: '&' is 11111000 (8 bits), its first 7 bits are no padding.
    #expect(huffmanDecode([0xF8]) == [0x26])
    #expect(huffmanDecode([0x00, 0xFE]) == nil)  // '0' then 5 bits of '0', then 11111110...
}

@Test func huffman_rejectsEOSInsideAString() {
    // EOS is 30 ones; any 30 ones in a row spell it, whatever comes around them.
    #expect(huffmanDecode([0xFF, 0xFF, 0xFF, 0xFF]) == nil)
    #expect(huffmanDecode([0x1F, 0xFF, 0xFF, 0xFF, 0xFF]) == nil)
    // 'a' + EOS + padding, as an encoder that wrote EOS would.
    #expect(huffmanDecode([0x1F, 0xFF, 0xFF, 0xFF, 0xFE]) == nil)
}

@Test func huffman_lengthsFormACompleteCode() {
    // The Kraft sum of a complete prefix code is exactly 1: every bit string decodes or is padding.
    var sum = 0
    for length in HPACKHuffman.codeLengths { sum += 1 << (30 - Int(length)) }
    #expect(sum == 1 << 30)
    #expect(HPACKHuffman.codeLengths.count == 257)
}
