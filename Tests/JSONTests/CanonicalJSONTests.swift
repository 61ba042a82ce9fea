import JSON
import Testing
import TestSupport

func canonical(_ value: JSONValue) -> String { String(decoding: CanonicalJSON.serialize(value), as: UTF8.self) }

@Test func canonicalJSON_sortsRFC8785PropertySortingExample() throws {
    // RFC 8785 §3.2.3: keys sort by UTF-16 code units, so the emoji (D83D DE00) precedes U+FB33.
    let input = #"""
        {
          "\u20ac": "Euro Sign",
          "\r": "Carriage Return",
          "\ufb33": "Hebrew Letter Dalet With Dagesh",
          "1": "One",
          "\ud83d\ude00": "Emoji: Grinning Face",
          "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"
        }
        """#
    let value = try JSON.parse(input)
    let expected = #"{"\r":"Carriage Return","1":"One","\#u{80}":"Control","ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","😀":"Emoji: Grinning Face","\#u{FB33}":"Hebrew Letter Dalet With Dagesh"}"#
    #expect(canonical(value) == expected)
}

@Test func canonicalJSON_matchesRFC8785SerializationExample() throws {
    // RFC 8785 §3.2.2 sample input and its canonical form.
    let input = #"""
        {
          "numbers": [333333333.33333329, 1E30, 4.50,
                      2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }
        """#
    let expected = #"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
    #expect(canonical(try JSON.parse(input)) == expected)
}

@Test func canonicalJSON_sortsBySurrogateUnitsNotScalarValues() {
    // U+10000 is D800 DC00 in UTF-16, which sorts before U+FFFF, though its scalar value is larger.
    let value: JSONValue = ["\u{FFFF}": 1, "\u{10000}": 2, "\u{E000}": 3, "\u{D7FF}": 4]
    #expect(canonical(value) == "{\"\u{D7FF}\":4,\"\u{10000}\":2,\"\u{E000}\":3,\"\u{FFFF}\":1}")
}

@Test func canonicalJSON_sortsNestedObjectsAndKeepsArrayOrder() {
    let value: JSONValue = ["b": [["y": 1, "x": 2], 3, 1], "a": ["d": true, "c": .null], "": 0, "aa": "s"]
    #expect(canonical(value) == #"{"":0,"a":{"c":null,"d":true},"aa":"s","b":[{"x":2,"y":1},3,1]}"#)
}

@Test func canonicalJSON_isIndependentOfMemberOrder() throws {
    let first = try JSON.parse(#"{"quantity":2,"seat":"A1","meta":{"z":1,"a":[1,2]}}"#)
    let second = try JSON.parse(#" { "meta" : { "a" : [ 1 , 2 ] , "z" : 1.0 } , "seat" : "A1" , "quantity" : 2 } "#)
    #expect(CanonicalJSON.serialize(first) == CanonicalJSON.serialize(second))
}

@Test func canonicalJSON_writesIntegersExactly() {
    #expect(canonical([.int(.max), .int(.min), .int(0), .int(-0)]) == "[9223372036854775807,-9223372036854775808,0,0]")
}

/// RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript serializations.
let ecmaScriptNumberVectors: [(bits: UInt64, expected: String)] = [
    (0x0000_0000_0000_0000, "0"),
    (0x8000_0000_0000_0000, "0"),
    (0x0000_0000_0000_0001, "5e-324"),
    (0x8000_0000_0000_0001, "-5e-324"),
    (0x7FEF_FFFF_FFFF_FFFF, "1.7976931348623157e+308"),
    (0xFFEF_FFFF_FFFF_FFFF, "-1.7976931348623157e+308"),
    (0x4340_0000_0000_0000, "9007199254740992"),
    (0xC340_0000_0000_0000, "-9007199254740992"),
    (0x4430_0000_0000_0000, "295147905179352830000"),
    (0x44B5_2D02_C7E1_4AF5, "9.999999999999997e+22"),
    (0x44B5_2D02_C7E1_4AF6, "1e+23"),
    (0x44B5_2D02_C7E1_4AF7, "1.0000000000000001e+23"),
    (0x444B_1AE4_D6E2_EF4E, "999999999999999700000"),
    (0x444B_1AE4_D6E2_EF4F, "999999999999999900000"),
    (0x444B_1AE4_D6E2_EF50, "1e+21"),
    (0x3EB0_C6F7_A0B5_ED8C, "9.999999999999997e-7"),
    (0x3EB0_C6F7_A0B5_ED8D, "0.000001"),
    (0x41B3_DE43_5555_5553, "333333333.3333332"),
    (0x41B3_DE43_5555_5554, "333333333.33333325"),
    (0x41B3_DE43_5555_5555, "333333333.3333333"),
    (0x41B3_DE43_5555_5556, "333333333.3333334"),
    (0x41B3_DE43_5555_5557, "333333333.33333343"),
    (0xBECB_F647_612F_3696, "-0.0000033333333333333333"),
    (0x4314_3FF3_C1CB_0959, "1424953923781206.2"),
]

@Test func canonicalJSON_formatsNumbersAsECMAScriptForRFC8785Vectors() {
    for (bits, expected) in ecmaScriptNumberVectors {
        #expect(canonical(.number(Double(bitPattern: bits))) == expected, "0x\(String(bits, radix: 16))")
    }
}

@Test func canonicalJSON_formatsNumbersAtNotationBoundaries() {
    let cases: [(Double, String)] = [
        (1, "1"), (-1, "-1"), (0.5, "0.5"), (100, "100"), (123.456, "123.456"),
        (1e20, "100000000000000000000"), (1e21, "1e+21"), (1.5e21, "1.5e+21"),
        (1e-6, "0.000001"), (1.5e-6, "0.0000015"), (1e-7, "1e-7"), (1.25e-7, "1.25e-7"),
        (9_007_199_254_740_994, "9007199254740994"), (4.5, "4.5"), (0.1 + 0.2, "0.30000000000000004"),
        (-0.0, "0"), (2e-3, "0.002"), (1e30, "1e+30"), (123e18, "123000000000000000000"),
    ]
    for (value, expected) in cases {
        #expect(canonical(.number(value)) == expected, "\(value)")
    }
}

@Test func canonicalJSON_numberOutputParsesBackToSameDouble() throws {
    var rng = SeededGenerator(seed: 8785)
    for _ in 0..<5000 {
        let value = Double(bitPattern: rng.next())
        guard value.isFinite else { continue }
        let text = canonical(.number(value))
        let reparsed = try #require(Double(text), "\(text)")
        #expect(reparsed == value, "\(text)")
        // Only the characters ECMAScript's form can contain, and never a "+" without an "e".
        #expect(text.allSatisfy { "0123456789.-+e".contains($0) }, "\(text)")
    }
}

@Test func canonicalJSON_escapesEveryControlCharacterInStringsAndKeys() {
    for byte in UInt8(0)..<0x20 {
        let s = String(Character(Unicode.Scalar(byte)))
        let escaped = expectedEscape(byte)
        #expect(canonical(.object([s: .string(s)])) == "{\"\(escaped)\":\"\(escaped)\"}")
    }
}
