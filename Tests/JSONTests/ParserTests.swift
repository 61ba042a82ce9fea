import JSON
import Testing

/// A document that must parse to a given value.
struct ValidCase: Sendable, CustomTestStringConvertible {
    let text: String
    let expected: JSONValue
    var testDescription: String { text }
}

/// A document that must be rejected for a given reason, at a given byte offset.
struct InvalidCase: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let reason: JSONError.Reason
    let offset: Int

    init(_ text: String, _ reason: JSONError.Reason, at offset: Int) {
        name = text
        bytes = Array(text.utf8)
        self.reason = reason
        self.offset = offset
    }

    init(name: String, bytes: [UInt8], _ reason: JSONError.Reason, at offset: Int) {
        self.name = name
        self.bytes = bytes
        self.reason = reason
        self.offset = offset
    }

    var testDescription: String { name }
}

/// Wraps raw bytes in quotes so they are read as the contents of a string.
func quoted(_ contents: [UInt8]) -> [UInt8] {
    [UInt8(ascii: "\"")] + contents + [UInt8(ascii: "\"")]
}

/// Parses, turning a thrown error into a value so tests can inspect it.
func parseResult(_ bytes: [UInt8], limits: JSONLimits = .default) -> Result<JSONValue, JSONError> {
    do throws(JSONError) {
        return .success(try JSON.parse(bytes, limits: limits))
    } catch {
        return .failure(error)
    }
}

let validCases: [ValidCase] = [
    ValidCase(text: "null", expected: .null),
    ValidCase(text: "true", expected: .bool(true)),
    ValidCase(text: "false", expected: .bool(false)),
    ValidCase(text: "0", expected: .int(0)),
    ValidCase(text: "-0", expected: .int(0)),
    ValidCase(text: "42", expected: .int(42)),
    ValidCase(text: "-17", expected: .int(-17)),
    ValidCase(text: "9223372036854775807", expected: .int(.max)),
    ValidCase(text: "-9223372036854775808", expected: .int(.min)),
    ValidCase(text: "9223372036854775808", expected: .number(9_223_372_036_854_775_808)),
    ValidCase(text: "-9223372036854775809", expected: .number(-9_223_372_036_854_775_808.0)),
    ValidCase(text: "1.5", expected: .number(1.5)),
    ValidCase(text: "-0.25", expected: .number(-0.25)),
    ValidCase(text: "1e3", expected: .number(1000)),
    ValidCase(text: "1E+3", expected: .number(1000)),
    ValidCase(text: "25e-1", expected: .number(2.5)),
    ValidCase(text: "0.1", expected: .number(0.1)),
    ValidCase(text: "1e-400", expected: .number(0)),
    ValidCase(text: "\"\"", expected: .string("")),
    ValidCase(text: #""hello""#, expected: .string("hello")),
    ValidCase(text: #""a\"b\\c\/d""#, expected: .string("a\"b\\c/d")),
    ValidCase(text: #""\b\f\n\r\t""#, expected: .string("\u{08}\u{0C}\n\r\t")),
    ValidCase(text: #""\u0000\u001f\u00e9\u20AC""#, expected: .string("\u{0}\u{1F}é€")),
    ValidCase(text: #""\uD83D\uDE00""#, expected: .string("😀")),
    ValidCase(text: #""\ud83d\ude00x""#, expected: .string("😀x")),
    ValidCase(text: #""\uDBFF\uDFFF""#, expected: .string("\u{10FFFF}")),
    ValidCase(text: "\"héllo wörld €😀\"", expected: .string("héllo wörld €😀")),
    ValidCase(text: "\"\u{7F}\"", expected: .string("\u{7F}")),
    ValidCase(text: "[]", expected: .array([])),
    ValidCase(text: "{}", expected: .object([:])),
    ValidCase(text: "[1,\"a\",true,null,[],{}]", expected: [1, "a", true, .null, [], [:]]),
    ValidCase(text: " \t\r\n[ 1 , 2 ]\n\t\r ", expected: [1, 2]),
    ValidCase(text: #"{"a":1,"b":{"c":[true,false]}}"#, expected: ["a": 1, "b": ["c": [true, false]]]),
    ValidCase(text: #"{ "quantity" : 3 , "seat" : "A1" }"#, expected: ["quantity": 3, "seat": "A1"]),
    ValidCase(text: #"{"e\u0301":1,"é":2}"#, expected: ["e\u{301}": 1, "é": 2]),
]

@Test(arguments: validCases)
func parse_acceptsValidDocument(_ testCase: ValidCase) throws {
    #expect(try JSON.parse(testCase.text) == testCase.expected)
}

let invalidCases: [InvalidCase] = [
    InvalidCase("", .unexpectedEndOfInput, at: 0),
    InvalidCase("   ", .unexpectedEndOfInput, at: 3),
    InvalidCase("nul", .unexpectedEndOfInput, at: 3),
    InvalidCase("nulx", .invalidLiteral, at: 0),
    InvalidCase("True", .unexpectedByte(UInt8(ascii: "T")), at: 0),
    InvalidCase("truex", .trailingData, at: 4),
    InvalidCase("1 2", .trailingData, at: 2),
    InvalidCase("{} {}", .trailingData, at: 3),
    InvalidCase("01", .leadingZero, at: 0),
    InvalidCase("-01", .leadingZero, at: 0),
    InvalidCase("00", .leadingZero, at: 0),
    InvalidCase("-", .invalidNumber, at: 0),
    InvalidCase("-a", .invalidNumber, at: 0),
    InvalidCase("+1", .unexpectedByte(UInt8(ascii: "+")), at: 0),
    InvalidCase(".5", .unexpectedByte(UInt8(ascii: ".")), at: 0),
    InvalidCase("1.", .invalidNumber, at: 0),
    InvalidCase("1.e3", .invalidNumber, at: 0),
    InvalidCase("1e", .invalidNumber, at: 0),
    InvalidCase("1e+", .invalidNumber, at: 0),
    InvalidCase("[1e400]", .numberOutOfRange, at: 1),
    InvalidCase("-1e400", .numberOutOfRange, at: 0),
    InvalidCase("NaN", .unexpectedByte(UInt8(ascii: "N")), at: 0),
    InvalidCase("Infinity", .unexpectedByte(UInt8(ascii: "I")), at: 0),
    InvalidCase("0x10", .trailingData, at: 1),
    InvalidCase("[1,]", .trailingComma, at: 3),
    InvalidCase("[1, ]", .trailingComma, at: 4),
    InvalidCase(#"{"a":1,}"#, .trailingComma, at: 7),
    InvalidCase("[,1]", .unexpectedByte(UInt8(ascii: ",")), at: 1),
    InvalidCase("[1 2]", .expectedCommaOrEndOfArray, at: 3),
    InvalidCase("[1", .unexpectedEndOfInput, at: 2),
    InvalidCase("[", .unexpectedEndOfInput, at: 1),
    InvalidCase("]", .unexpectedByte(UInt8(ascii: "]")), at: 0),
    InvalidCase(#"{"a" 1}"#, .expectedColon, at: 5),
    InvalidCase(#"{"a":1 "b":2}"#, .expectedCommaOrEndOfObject, at: 7),
    InvalidCase("{a:1}", .expectedKey, at: 1),
    InvalidCase("{1:1}", .expectedKey, at: 1),
    InvalidCase(#"{"a":}"#, .unexpectedByte(UInt8(ascii: "}")), at: 5),
    InvalidCase(#"{"a""#, .unexpectedEndOfInput, at: 4),
    InvalidCase("{", .unexpectedEndOfInput, at: 1),
    InvalidCase(#"{"a":1,"a":2}"#, .duplicateKey("a"), at: 7),
    InvalidCase(#"{"x":{"k":1},"k":2,"k":3}"#, .duplicateKey("k"), at: 19),
    InvalidCase(#"{"\u0061":1,"a":2}"#, .duplicateKey("a"), at: 12),
    InvalidCase("\"abc", .unterminatedString, at: 0),
    InvalidCase("\"abc\\", .unterminatedString, at: 4),
    InvalidCase("\"a\nb\"", .controlCharacterInString(0x0A), at: 2),
    InvalidCase("\"a\tb\"", .controlCharacterInString(0x09), at: 2),
    InvalidCase("\"\u{0}\"", .controlCharacterInString(0x00), at: 1),
    InvalidCase("\"\u{1F}\"", .controlCharacterInString(0x1F), at: 1),
    InvalidCase(#""\x""#, .invalidEscape, at: 1),
    InvalidCase(#""\'""#, .invalidEscape, at: 1),
    InvalidCase(#""\U0041""#, .invalidEscape, at: 1),
    InvalidCase(#""\u12""#, .invalidUnicodeEscape, at: 1),
    InvalidCase(#""\u12G4""#, .invalidUnicodeEscape, at: 1),
    InvalidCase(#""\u""#, .invalidUnicodeEscape, at: 1),
    InvalidCase(#""\uD800""#, .loneSurrogate, at: 1),
    InvalidCase(#""\uD800x""#, .loneSurrogate, at: 1),
    InvalidCase(#""\uDBFF\n""#, .loneSurrogate, at: 1),
    InvalidCase(#""\uD800\uD800""#, .loneSurrogate, at: 1),
    InvalidCase(#""\uD800\u0041""#, .loneSurrogate, at: 1),
    InvalidCase(#""\uDC00""#, .loneSurrogate, at: 1),
    InvalidCase(#""\uDFFF\uD800""#, .loneSurrogate, at: 1),
    InvalidCase(#""a\uD83D""#, .loneSurrogate, at: 2),
    InvalidCase("'a'", .unexpectedByte(UInt8(ascii: "'")), at: 0),
    InvalidCase("[1]\u{0}", .trailingData, at: 3),
    InvalidCase("\u{0C}1", .unexpectedByte(0x0C), at: 0),
    InvalidCase("\u{A0}1", .unexpectedByte(0xC2), at: 0),
    InvalidCase("/* c */ 1", .unexpectedByte(UInt8(ascii: "/")), at: 0),
    InvalidCase(name: "byte order mark", bytes: [0xEF, 0xBB, 0xBF] + Array("1".utf8), .unexpectedByte(0xEF), at: 0),
]

@Test(arguments: invalidCases)
func parse_rejectsInvalidDocumentWithReasonAndOffset(_ testCase: InvalidCase) {
    switch parseResult(testCase.bytes) {
    case .success(let value):
        Issue.record("accepted \(testCase.name) as \(value)")
    case .failure(let error):
        #expect(error.reason == testCase.reason)
        #expect(error.offset == testCase.offset)
    }
}

/// UTF-8 sequences inside strings that RFC 3629 allows, one per boundary of its table.
let wellFormedUTF8: [(bytes: [UInt8], scalar: UInt32)] = [
    ([0xC2, 0x80], 0x80),  // smallest two-byte
    ([0xDF, 0xBF], 0x7FF),  // largest two-byte
    ([0xE0, 0xA0, 0x80], 0x800),  // smallest three-byte
    ([0xED, 0x9F, 0xBF], 0xD7FF),  // just below the surrogates
    ([0xEE, 0x80, 0x80], 0xE000),  // just above the surrogates
    ([0xEF, 0xBF, 0xBF], 0xFFFF),  // largest three-byte
    ([0xF0, 0x90, 0x80, 0x80], 0x10000),  // smallest four-byte
    ([0xF3, 0xBF, 0xBF, 0xBF], 0xFFFFF),
    ([0xF4, 0x8F, 0xBF, 0xBF], 0x10FFFF),  // largest scalar
]

@Test func parse_acceptsWellFormedUTF8AtEveryRangeBoundary() throws {
    for (bytes, scalar) in wellFormedUTF8 {
        let value = try JSON.parse(quoted(bytes))
        #expect(value == .string(String(Character(Unicode.Scalar(scalar)!))), "U+\(String(scalar, radix: 16))")
    }
}

/// Ill-formed sequences, and the offset (inside the quoted string) where each is reported.
let illFormedUTF8: [(name: String, bytes: [UInt8])] = [
    ("stray continuation", [0x80]),
    ("stray continuation after valid", [0x41, 0xBF]),
    ("overlong NUL C0 80", [0xC0, 0x80]),
    ("overlong C1 BF", [0xC1, 0xBF]),
    ("overlong three-byte E0 80 80", [0xE0, 0x80, 0x80]),
    ("overlong three-byte E0 9F BF", [0xE0, 0x9F, 0xBF]),
    ("overlong four-byte F0 80 80 80", [0xF0, 0x80, 0x80, 0x80]),
    ("overlong four-byte F0 8F BF BF", [0xF0, 0x8F, 0xBF, 0xBF]),
    ("surrogate U+D800 as UTF-8", [0xED, 0xA0, 0x80]),
    ("surrogate U+DFFF as UTF-8", [0xED, 0xBF, 0xBF]),
    ("surrogate pair as UTF-8 (CESU-8)", [0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80]),
    ("above U+10FFFF: F4 90 80 80", [0xF4, 0x90, 0x80, 0x80]),
    ("lead F5", [0xF5, 0x80, 0x80, 0x80]),
    ("lead FE", [0xFE]),
    ("lead FF", [0xFF]),
    ("truncated two-byte", [0xC3]),
    ("truncated three-byte", [0xE2, 0x82]),
    ("truncated four-byte", [0xF0, 0x9F, 0x98]),
    ("continuation replaced by ASCII", [0xE2, 0x41, 0x82]),
    ("five-byte form", [0xF8, 0x88, 0x80, 0x80, 0x80]),
]

@Test func parse_rejectsIllFormedUTF8InStrings() {
    for (name, bytes) in illFormedUTF8 {
        guard case .failure(let error) = parseResult(quoted(bytes)) else {
            Issue.record("accepted \(name)")
            continue
        }
        #expect(error.reason == .invalidUTF8, "\(name)")
        let firstBad = bytes.first == 0x41 ? 2 : 1
        #expect(error.offset == firstBad, "\(name)")
    }
}

@Test func parse_rejectsTruncatedUTF8AtEndOfInput() {
    guard case .failure(let error) = parseResult([UInt8(ascii: "\""), 0xE2, 0x82]) else {
        Issue.record("accepted truncated sequence")
        return
    }
    #expect(error.reason == .invalidUTF8)
    #expect(error.offset == 1)
}

@Test func parse_acceptsEscapedControlCharactersAndLiteralDelete() throws {
    for byte in UInt8(0)..<0x20 {
        let hex = String(byte, radix: 16)
        let escape = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        #expect(try JSON.parse("\"\(escape)\"") == .string(String(Character(Unicode.Scalar(byte)))))
    }
}

/// Builds `depth` nested arrays around a zero.
func nestedArrays(_ depth: Int) -> String {
    String(repeating: "[", count: depth) + "0" + String(repeating: "]", count: depth)
}

/// Builds `depth` nested objects, each with key "k".
func nestedObjects(_ depth: Int) -> String {
    String(repeating: #"{"k":"#, count: depth) + "0" + String(repeating: "}", count: depth)
}

@Test func parse_acceptsNestingAtDefaultDepthLimit32() throws {
    _ = try JSON.parse(nestedArrays(32))
    _ = try JSON.parse(nestedObjects(32))
    _ = try JSON.parse("[" + nestedObjects(31) + "]")
}

@Test func parse_rejectsNestingAtDepth33() {
    for text in [nestedArrays(33), nestedObjects(33), "{\"a\":" + nestedArrays(32) + "}"] {
        guard case .failure(let error) = parseResult(Array(text.utf8)) else {
            Issue.record("accepted depth 33")
            continue
        }
        #expect(error.reason == .depthLimitExceeded(32))
    }
    if case .failure(let error) = parseResult(Array(nestedArrays(33).utf8)) {
        #expect(error.offset == 32)
        #expect(error.message == "nesting deeper than 32 levels at byte 32")
    }
}

@Test func parse_honoursConfiguredDepthLimit() throws {
    let limits = JSONLimits(maxDepth: 2)
    _ = try JSON.parse("[[1]]", limits: limits)
    #expect(throws: JSONError(.depthLimitExceeded(2), at: 2)) { try JSON.parse("[[[1]]]", limits: limits) }
    // Scalars have depth zero, so even a zero limit accepts them.
    #expect(try JSON.parse("7", limits: JSONLimits(maxDepth: 0)) == .int(7))
}

@Test func parse_duplicateKeyErrorHasReadableMessage() {
    let text = #"{"seat": "A1", "quantity": 2, "quantity": 3}"#
    guard case .failure(let error) = parseResult(Array(text.utf8)) else {
        Issue.record("accepted duplicate key")
        return
    }
    #expect(error.reason == .duplicateKey("quantity"))
    #expect(error.offset == 30)
    #expect(error.message == #"duplicate key "quantity" at byte 30"#)
    #expect("\(error)" == error.message)
}

@Test func parse_rejectsDuplicateKeyInLargeObject() {
    // Large enough to use the hash-set path rather than the linear scan.
    for duplicateOf in [0, 17, 39] {
        var text = "{"
        for k in 0..<40 { text += "\"key\(k)\":\(k)," }
        text += "\"key\(duplicateOf)\":true}"
        guard case .failure(let error) = parseResult(Array(text.utf8)) else {
            Issue.record("accepted duplicate key\(duplicateOf)")
            continue
        }
        #expect(error.reason == .duplicateKey("key\(duplicateOf)"))
    }
}

@Test func parse_acceptsLargeObjectWithDistinctKeys() throws {
    var text = "{"
    for k in 0..<100 { text += (k > 0 ? "," : "") + "\"key\(k)\":\(k)" }
    text += "}"
    let object = try #require(try JSON.parse(text).objectValue)
    #expect(object.count == 100)
    #expect(object.keys.first == "key0" && object.keys.last == "key99")
    #expect(object["key57"] == .int(57))
}

@Test func parse_treatsCanonicallyEquivalentKeysAsDistinct() throws {
    // U+00E9 and e + U+0301 are equal as Swift Strings but different JSON strings (RFC 8259 §8.3).
    let object = try #require(try JSON.parse(#"{"\u00e9":1,"e\u0301":2}"#).objectValue)
    #expect(object.count == 2)
    #expect(object["\u{E9}"] == .int(1))
    #expect(object["e\u{301}"] == .int(2))
}

@Test func parse_keepsObjectMembersInDocumentOrder() throws {
    let object = try #require(try JSON.parse(#"{"z":1,"a":2,"m":3}"#).objectValue)
    #expect(object.keys == ["z", "a", "m"])
}

@Test func parse_enforcesStringAndDocumentSizeLimits() throws {
    let limits = JSONLimits(maxDocumentBytes: 64, maxStringBytes: 4)
    #expect(try JSON.parse(#"["abcd","\u0041bcd"]"#, limits: limits) == ["abcd", "Abcd"])
    #expect(throws: JSONError(.stringTooLong(4), at: 1)) { try JSON.parse(#"["abcde"]"#, limits: limits) }
    #expect(throws: JSONError(.stringTooLong(4), at: 1)) { try JSON.parse(#"["\u0041bcde"]"#, limits: limits) }
    #expect(throws: JSONError(.stringTooLong(4), at: 1)) { try JSON.parse(#"{"abcde":1}"#, limits: limits) }
    let big = "[" + String(repeating: "1,", count: 40) + "1]"
    #expect(throws: JSONError(.documentTooLarge(64), at: 64)) { try JSON.parse(big, limits: limits) }
}

@Test func parser_isReusableAcrossDocumentsAndAfterErrors() throws {
    var parser = JSONParser()
    #expect(try parser.parse(Array(#"{"a":"x\ny"}"#.utf8)) == ["a": "x\ny"])
    #expect(throws: JSONError.self) { try parser.parse(Array(#"{"a":"\q"}"#.utf8)) }
    #expect(try parser.parse(Array(#"["p\tq","r"]"#.utf8)) == ["p\tq", "r"])
    let raw: [UInt8] = Array("[true]".utf8)
    let value = try raw.withUnsafeBytes { buffer throws(JSONError) in try parser.parse(buffer) }
    #expect(value == [true])
}

@Test func parse_rejectsEmptyRawBufferAsUnexpectedEnd() {
    #expect(throws: JSONError(.unexpectedEndOfInput, at: 0)) {
        try JSON.parse(UnsafeRawBufferPointer(start: nil, count: 0))
    }
}
