@testable import HTTP2
import Testing

// RFC 7541 Appendix C, decoded and, where the encoding is deterministic, encoded.

/// Decodes one block, failing the test on an error.
func decodeBlock(_ decoder: inout HPACKDecoder, _ block: [UInt8], limit: Int = 1 << 20,
                 sourceLocation: SourceLocation = #_sourceLocation) -> HPACKDecoder.DecodedBlock? {
    let result = block.withUnsafeBytes { raw in
        Result { () throws(HPACKError) -> HPACKDecoder.DecodedBlock in try decoder.decode(raw, headerListSizeMax: limit) }
    }
    switch result {
    case .success(let decoded): return decoded
    case .failure(let error):
        Issue.record("decoding failed: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The error decoding `block` throws, or nil.
func decodeError(_ decoder: inout HPACKDecoder, _ block: [UInt8]) -> HPACKError? {
    let result = block.withUnsafeBytes { raw in
        Result { () throws(HPACKError) -> HPACKDecoder.DecodedBlock in try decoder.decode(raw, headerListSizeMax: 1 << 20) }
    }
    if case .failure(let error) = result { return error }
    return nil
}

/// The dynamic table, newest first, and its size.
func table(_ decoder: HPACKDecoder) -> ([HeaderField], Int) {
    ((0..<decoder.tableEntryCount).compactMap { decoder.tableEntry(at: $0 + 1) }, decoder.tableSize)
}

func table(_ encoder: HPACKEncoder) -> ([HeaderField], Int) {
    ((0..<encoder.tableEntryCount).compactMap { encoder.tableEntry(at: $0 + 1) }, encoder.tableSize)
}

// MARK: - C.1 integers

@Test func hpackInteger_encodesTheAppendixC1Examples() {
    var ten: [UInt8] = []
    HPACKInteger.encode(10, prefixBits: 5, flags: 0, into: &ten)
    #expect(ten == [0x0A])
    var large: [UInt8] = []
    HPACKInteger.encode(1337, prefixBits: 5, flags: 0, into: &large)
    #expect(large == [0x1F, 0x9A, 0x0A])
    var byteBoundary: [UInt8] = []
    HPACKInteger.encode(42, prefixBits: 8, flags: 0, into: &byteBoundary)
    #expect(byteBoundary == [0x2A])
}

@Test(arguments: [1, 4, 5, 6, 7, 8])
func hpackInteger_roundTripsAroundEveryPrefixBoundary(prefixBits: Int) throws {
    let boundary = (1 << prefixBits) - 1
    for value in [0, 1, boundary - 1, boundary, boundary + 1, 127, 128, 255, 256, 1337, 16_383, 16_384, 1 << 20, Int(Int32.max)] {
        var bytes: [UInt8] = []
        HPACKInteger.encode(value, prefixBits: prefixBits, flags: 0, into: &bytes)
        var index = 0
        let decoded = try bytes.withUnsafeBytes { raw in try HPACKInteger.decode(raw, at: &index, prefixBits: prefixBits) }
        #expect(decoded == value)
        #expect(index == bytes.count)
    }
}

@Test func hpackInteger_rejectsTruncatedAndOversizedIntegers() {
    func decode(_ bytes: [UInt8]) -> HPACKError? {
        var index = 0
        do {
            _ = try bytes.withUnsafeBytes { raw in try HPACKInteger.decode(raw, at: &index, prefixBits: 5) }
            return nil
        } catch let error as HPACKError {
            return error
        } catch {
            return nil
        }
    }
    #expect(decode([0x1F]) == .truncated)
    #expect(decode([0x1F, 0x9A]) == .truncated)
    #expect(decode([0x1F, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) == .integerTooLarge)
    // Zero continuation bytes carry nothing, but a long run of them is refused all the same.
    #expect(decode([0x1F, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]) == .integerTooLarge)
    #expect(decode([0x1F, 0x80, 0x80, 0x80, 0x00]) == nil)
}

// MARK: - C.2 single representations

@Test func hpackDecoder_C2_1_literalWithIndexing() {
    var decoder = HPACKDecoder()
    let block = hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572")
    #expect(decodeBlock(&decoder, block)?.fields == [HeaderField("custom-key", "custom-header")])
    #expect(table(decoder) == ([HeaderField("custom-key", "custom-header")], 55))
    var encoder = HPACKEncoder(huffman: .never, indexing: true)
    var encoded: [UInt8] = []
    encoder.encode([HeaderField("custom-key", "custom-header")], into: &encoded)
    #expect(encoded == block)
}

@Test func hpackDecoder_C2_2_literalWithoutIndexing() {
    var decoder = HPACKDecoder()
    let block = hex("040c 2f73 616d 706c 652f 7061 7468")
    #expect(decodeBlock(&decoder, block)?.fields == [HeaderField(":path", "/sample/path")])
    #expect(decoder.tableEntryCount == 0)
    var encoder = HPACKEncoder(huffman: .never, indexing: false)
    var encoded: [UInt8] = []
    encoder.encode([HeaderField(":path", "/sample/path")], into: &encoded)
    #expect(encoded == block)
}

@Test func hpackDecoder_C2_3_literalNeverIndexed() {
    var decoder = HPACKDecoder()
    let block = hex("1008 7061 7373 776f 7264 0673 6563 7265 74")
    #expect(decodeBlock(&decoder, block)?.fields == [HeaderField("password", "secret")])
    #expect(decoder.tableEntryCount == 0)
}

@Test func hpackDecoder_C2_4_indexedField() {
    var decoder = HPACKDecoder()
    #expect(decodeBlock(&decoder, [0x82])?.fields == [HeaderField(":method", "GET")])
    #expect(decoder.tableEntryCount == 0)
    var encoder = HPACKEncoder()
    var encoded: [UInt8] = []
    encoder.encode([HeaderField(":method", "GET")], into: &encoded)
    #expect(encoded == [0x82])
}

// MARK: - C.3 to C.6 sequences

struct ExampleStep: Sendable, CustomStringConvertible {
    var name: String
    var block: [UInt8]
    var fields: [HeaderField]
    var table: [HeaderField]
    var tableSize: Int
    var description: String { name }
}

let requestFields: [[HeaderField]] = [
    fields([(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")]),
    fields([(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"), ("cache-control", "no-cache")]),
    fields([(":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"), ("custom-key", "custom-value")]),
]
let requestTables: [([HeaderField], Int)] = [
    (fields([(":authority", "www.example.com")]), 57),
    (fields([("cache-control", "no-cache"), (":authority", "www.example.com")]), 110),
    (fields([("custom-key", "custom-value"), ("cache-control", "no-cache"), (":authority", "www.example.com")]), 164),
]
let responseFields: [[HeaderField]] = [
    fields([(":status", "302"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"), ("location", "https://www.example.com")]),
    fields([(":status", "307"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"), ("location", "https://www.example.com")]),
    fields([(":status", "200"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:22 GMT"), ("location", "https://www.example.com"),
            ("content-encoding", "gzip"), ("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1")]),
]
let responseTables: [([HeaderField], Int)] = [
    (fields([("location", "https://www.example.com"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"), ("cache-control", "private"), (":status", "302")]), 222),
    (fields([(":status", "307"), ("location", "https://www.example.com"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"), ("cache-control", "private")]), 222),
    (fields([("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"), ("content-encoding", "gzip"), ("date", "Mon, 21 Oct 2013 20:13:22 GMT")]), 215),
]

struct ExampleSequence: Sendable, CustomStringConvertible {
    var name: String
    var huffman: Bool
    var tableSize: Int
    var blocks: [[UInt8]]
    var fields: [[HeaderField]]
    var tables: [([HeaderField], Int)]
    var description: String { name }
}

let exampleSequences: [ExampleSequence] = [
    ExampleSequence(name: "C.3 requests without Huffman", huffman: false, tableSize: 4_096, blocks: [
        hex("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"),
        hex("8286 84be 5808 6e6f 2d63 6163 6865"),
        hex("8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"),
    ], fields: requestFields, tables: requestTables),
    ExampleSequence(name: "C.4 requests with Huffman", huffman: true, tableSize: 4_096, blocks: [
        hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"),
        hex("8286 84be 5886 a8eb 1064 9cbf"),
        hex("8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"),
    ], fields: requestFields, tables: requestTables),
    ExampleSequence(name: "C.5 responses without Huffman", huffman: false, tableSize: 256, blocks: [
        hex("""
            4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
            2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d
            """),
        hex("4803 3330 37c1 c0bf"),
        hex("""
            88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
            54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
            5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31
            """),
    ], fields: responseFields, tables: responseTables),
    ExampleSequence(name: "C.6 responses with Huffman", huffman: true, tableSize: 256, blocks: [
        hex("""
            4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
            2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3
            """),
        hex("4883 640e ffc1 c0bf"),
        hex("""
            88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
            77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
            9587 3160 65c0 03ed 4ee5 b106 3d50 07
            """),
    ], fields: responseFields, tables: responseTables),
]

@Test(arguments: exampleSequences)
func hpackDecoder_decodesTheAppendixCSequences(sequence: ExampleSequence) {
    var decoder = HPACKDecoder(maxTableSize: sequence.tableSize)
    for (step, block) in sequence.blocks.enumerated() {
        #expect(decodeBlock(&decoder, block)?.fields == sequence.fields[step], "block \(step + 1)")
        let (entries, size) = table(decoder)
        #expect(entries == sequence.tables[step].0, "table after block \(step + 1)")
        #expect(size == sequence.tables[step].1, "table size after block \(step + 1)")
    }
}

@Test(arguments: exampleSequences)
func hpackEncoder_reproducesTheAppendixCSequences(sequence: ExampleSequence) {
    var encoder = HPACKEncoder(maxTableSize: sequence.tableSize, huffman: sequence.huffman ? .always : .never, indexing: true)
    for (step, fields) in sequence.fields.enumerated() {
        var block: [UInt8] = []
        encoder.encode(fields, into: &block)
        #expect(hexString(block) == hexString(sequence.blocks[step]), "block \(step + 1)")
        let (entries, size) = table(encoder)
        #expect(entries == sequence.tables[step].0, "table after block \(step + 1)")
        #expect(size == sequence.tables[step].1, "table size after block \(step + 1)")
    }
}

@Test(arguments: exampleSequences)
func hpackDecoder_decodesTheAppendixCSequencesFromOurEncoder(sequence: ExampleSequence) {
    // Our encoder's choices (Huffman when shorter, no indexing) decode to the same lists.
    for indexing in [false, true] {
        var encoder = HPACKEncoder(maxTableSize: sequence.tableSize, huffman: .whenShorter, indexing: indexing)
        var decoder = HPACKDecoder(maxTableSize: sequence.tableSize)
        for fields in sequence.fields {
            var block: [UInt8] = []
            encoder.encode(fields, into: &block)
            #expect(decodeBlock(&decoder, block)?.fields == fields)
            #expect(decoder.tableSize == encoder.tableSize)
        }
    }
}
