@testable import HTTP2
import Testing

@Test func hpackDecoder_indexZeroIsOutOfRange() {
    var decoder = HPACKDecoder()
    #expect(decodeError(&decoder, [0x80]) == .indexOutOfRange(0))
}

@Test func hpackDecoder_indexPastTheTablesIsOutOfRange() {
    var decoder = HPACKDecoder()
    #expect(decodeError(&decoder, [0xBE]) == .indexOutOfRange(62))
    // One dynamic entry makes 62 valid and 63 not.
    var filled = HPACKDecoder()
    _ = decodeBlock(&filled, hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"))
    #expect(decodeBlock(&filled, [0xBE])?.fields == [HeaderField("custom-key", "custom-header")])
    #expect(decodeError(&filled, [0xBF]) == .indexOutOfRange(63))
    // A literal whose name index is past the tables.
    #expect(decodeError(&filled, [0x7F, 0x01, 0x00]) == .indexOutOfRange(64))
    #expect(decodeError(&filled, [0x0F, 0x31, 0x00]) == .indexOutOfRange(64))
}

@Test func hpackDecoder_sizeUpdateOnlyAtTheStartOfABlock() {
    var decoder = HPACKDecoder()
    #expect(decodeBlock(&decoder, [0x3F, 0xE1, 0x1F, 0x82])?.fields == [HeaderField(":method", "GET")])  // 4096
    #expect(decodeBlock(&decoder, [0x20, 0x3F, 0xE1, 0x1F, 0x82]) != nil)  // two updates, then a field
    #expect(decodeError(&decoder, [0x82, 0x20]) == .sizeUpdateNotAtStart)
}

@Test func hpackDecoder_sizeUpdateAboveTheSettingIsRefused() {
    var decoder = HPACKDecoder(maxTableSize: 256)
    #expect(decodeError(&decoder, [0x3F, 0xE2, 0x01]) == .sizeUpdateTooLarge(257))
    #expect(decodeBlock(&decoder, [0x3F, 0xE1, 0x01]) != nil)  // exactly 256
}

@Test func hpackDecoder_sizeUpdateEvictsEntries() {
    var decoder = HPACKDecoder()
    _ = decodeBlock(&decoder, hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"))
    #expect(decoder.tableEntryCount == 1)
    _ = decodeBlock(&decoder, [0x20])
    #expect(decoder.tableEntryCount == 0)
    #expect(decoder.tableSize == 0)
    // The table now holds nothing: an insertion is dropped (RFC 7541 §4.4), the field still decodes.
    #expect(decodeBlock(&decoder, hex("4003 6b65 7901 76"))?.fields == [HeaderField("key", "v")])
    #expect(decoder.tableEntryCount == 0)
}

@Test func hpackDecoder_aLoweredSettingRequiresASizeUpdate() {
    var decoder = HPACKDecoder()
    decoder.setMaxTableSizeAllowed(100)
    #expect(decodeError(&decoder, [0x82]) == .sizeUpdateMissing)

    var second = HPACKDecoder()
    second.setMaxTableSizeAllowed(100)
    #expect(decodeError(&second, [0x3F, 0x81, 0x01]) == .sizeUpdateTooLarge(160))
    var third = HPACKDecoder()
    third.setMaxTableSizeAllowed(100)
    #expect(decodeBlock(&third, [0x3F, 0x45, 0x82])?.fields == [HeaderField(":method", "GET")])  // 100
    #expect(decodeBlock(&third, [0x82]) != nil)  // owed once only
}

@Test func hpackDecoder_truncatedBlocksAreRefused() {
    let block = hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572")
    for cut in 1..<block.count {
        var decoder = HPACKDecoder()
        #expect(decodeError(&decoder, Array(block[0..<cut])) == .truncated, "cut at \(cut)")
    }
}

@Test func hpackDecoder_invalidHuffmanIsRefused() {
    var decoder = HPACKDecoder()
    // Literal without indexing, name `:path` (4), Huffman value of one byte 0x00: 'a' (00011)
    // would need padding of ones; zeros are not the EOS prefix.
    #expect(decodeError(&decoder, [0x04, 0x81, 0x00]) == .invalidHuffman)
    // Also when the field would be skipped for being past the limit.
    let big = [UInt8](repeating: 0x61, count: 40)
    var block: [UInt8] = [0x04, UInt8(big.count)] + big
    block += [0x04, 0x81, 0x00]
    let result = block.withUnsafeBytes { raw in
        Result { () throws(HPACKError) -> HPACKDecoder.DecodedBlock in try decoder.decode(raw, headerListSizeMax: 50) }
    }
    #expect(throws: HPACKError.invalidHuffman) { try result.get() }
}

@Test func hpackDecoder_stopsKeepingFieldsPastTheListLimitButStaysInStep() throws {
    var encoder = HPACKEncoder(indexing: true)
    var decoder = HPACKDecoder()
    let big = HeaderField("x-big", String(repeating: "v", count: 100))
    var block: [UInt8] = []
    // The first field counts 137 octets, the next two 36 each: a limit of 150 keeps only the first.
    encoder.encode([big, HeaderField("x-a", "1"), HeaderField("x-b", "2"), HeaderField("x-c", String(repeating: "w", count: 50))], into: &block)
    let decoded = try #require(decodeBlock(&decoder, block, limit: 150))
    #expect(decoded.isOverLimit)
    #expect(decoded.fields == [big])
    #expect(decoded.headerListSize == 137 + 36 + 36 + 85)
    // Every field was still inserted, so the next block's references resolve as the encoder meant.
    #expect(decoder.tableEntryCount == 4)
    var next: [UInt8] = []
    encoder.encode([HeaderField("x-c", String(repeating: "w", count: 50)), HeaderField("x-a", "1"), big], into: &next)
    #expect(next.count == 3)
    #expect(decodeBlock(&decoder, next)?.fields == [HeaderField("x-c", String(repeating: "w", count: 50)), HeaderField("x-a", "1"), big])
}

@Test func hpackDecoder_manyReferencesToALargeEntryStayWithinTheLimit() throws {
    // One 4,000-octet entry, then 10,000 one-byte references to it: 40 MB if expanded.
    var decoder = HPACKDecoder()
    var block: [UInt8] = [0x40, 0x01, 0x78]
    HPACKInteger.encode(3_900, prefixBits: 7, flags: 0, into: &block)
    block += [UInt8](repeating: 0x76, count: 3_900)
    block += [UInt8](repeating: 0xBE, count: 10_000)
    let decoded = try #require(decodeBlock(&decoder, block, limit: 16_384))
    #expect(decoded.isOverLimit)
    #expect(decoded.fields.count == 4)
    #expect(decoded.headerListSize == 10_001 * (1 + 3_900 + 32))
}

@Test func hpackDecoder_keepsOctetCountsForNonUTF8Values() throws {
    // 0xFF is not UTF-8: the String shows U+FFFD, the table counts the one octet that was sent.
    var decoder = HPACKDecoder()
    let decoded = try #require(decodeBlock(&decoder, [0x40, 0x01, 0x78, 0x01, 0xFF]))
    #expect(decoded.fields == [HeaderField("x", "\u{FFFD}")])
    #expect(decoded.headerListSize == 34)
    #expect(decoder.tableSize == 34)
}

@Test func hpackEncoder_announcesTableSizeChangesAtTheNextBlock() {
    var encoder = HPACKEncoder(maxTableSize: 4_096)
    encoder.setMaxTableSize(0)
    encoder.setMaxTableSize(1_000)
    var block: [UInt8] = []
    encoder.encode([HeaderField(":status", "200")], into: &block)
    // RFC 7541 §4.2: the smallest size reached, then the final one.
    #expect(block == [0x20, 0x3F, 0xC9, 0x07, 0x88])
    var next: [UInt8] = []
    encoder.encode([HeaderField(":status", "200")], into: &next)
    #expect(next == [0x88])
}

@Test func hpackEncoder_usesStaticNamesAndLiteralsWithoutIndexing() {
    var encoder = HPACKEncoder(huffman: .never)
    var block: [UInt8] = []
    encoder.encode(fields([(":status", "200"), ("content-type", "application/grpc"), ("grpc-status", "0")]), into: &block)
    #expect(block == [0x88, 0x0F, 0x10, 0x10] + Array("application/grpc".utf8) + [0x00, 0x0B] + Array("grpc-status".utf8) + [0x01, 0x30])
    #expect(encoder.tableEntryCount == 0)
}
