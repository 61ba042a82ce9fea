import JSON
import Testing

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

@Test func writer_insertsCommasBetweenValuesAndMembers() {
    var writer = JSONWriter()
    writer.beginObject()
    writer.key("id"); writer.int(7)
    writer.key("seats"); writer.beginArray(); writer.string("A1"); writer.string("A2"); writer.endArray()
    writer.key("empty"); writer.beginObject(); writer.endObject()
    writer.key("none"); writer.beginArray(); writer.endArray()
    writer.key("held"); writer.bool(true)
    writer.key("note"); writer.null()
    writer.key("price"); writer.number(12.5)
    writer.key("nested"); writer.beginArray(); writer.beginArray(); writer.endArray(); writer.beginObject(); writer.endObject(); writer.endArray()
    writer.endObject()
    #expect(text(writer.bytes) == #"{"id":7,"seats":["A1","A2"],"empty":{},"none":[],"held":true,"note":null,"price":12.5,"nested":[[],{}]}"#)
}

@Test func writer_resetStartsAFreshDocument() {
    var writer = JSONWriter(reservingCapacity: 16)
    writer.beginArray(); writer.int(1); writer.endArray()
    writer.reset()
    writer.int(2)
    #expect(text(writer.bytes) == "2")
    writer.reset()
    writer.beginArray(); writer.int(3); writer.endArray()
    #expect(text(writer.bytes) == "[3]")
}

@Test func writer_writesIntegerExtremes() {
    var writer = JSONWriter()
    writer.beginArray()
    writer.int(Int64.min); writer.int(Int64.max); writer.int(0); writer.int(-1); writer.int(Int(42))
    writer.endArray()
    #expect(text(writer.bytes) == "[-9223372036854775808,9223372036854775807,0,-1,42]")
}

/// The escape RFC 8259 §7 and RFC 8785 §3.2.2.2 prescribe for each control character.
func expectedEscape(_ byte: UInt8) -> String {
    switch byte {
    case 0x08: return #"\b"#
    case 0x09: return #"\t"#
    case 0x0A: return #"\n"#
    case 0x0C: return #"\f"#
    case 0x0D: return #"\r"#
    default:
        let hex = String(byte, radix: 16)
        return #"\u00"# + (hex.count == 1 ? "0" : "") + hex
    }
}

@Test func appendEscaped_escapesEveryControlCharacter() {
    for byte in UInt8(0)..<0x20 {
        var out: [UInt8] = []
        JSONWriter.appendEscaped("a" + String(Character(Unicode.Scalar(byte))) + "b", to: &out)
        #expect(text(out) == "a" + expectedEscape(byte) + "b", "U+\(String(byte, radix: 16))")
    }
    #expect(expectedEscape(0x1F) == #"\u001f"#)
}

@Test func appendEscaped_escapesQuoteAndBackslashOnly() {
    var out: [UInt8] = []
    JSONWriter.appendEscaped("say \"hi\" \\ / \u{7F} é € 😀 \u{2028}", to: &out)
    #expect(text(out) == "say \\\"hi\\\" \\\\ / \u{7F} é € 😀 \u{2028}")
}

@Test func appendQuoted_wrapsEscapedContentsInQuotes() throws {
    var out = Array("{\"name\":".utf8)
    JSONWriter.appendQuoted("O\"Brien\n", to: &out)
    out.append(UInt8(ascii: "}"))
    #expect(text(out) == #"{"name":"O\"Brien\n"}"#)
    #expect(try JSON.parse(out) == ["name": "O\"Brien\n"])
}

@Test func serialized_isCompactAndKeepsMemberOrder() {
    let value: JSONValue = ["z": [1, 2.5, "x"], "a": ["nested": .null], "m": false]
    #expect(text(value.serialized()) == #"{"z":[1,2.5,"x"],"a":{"nested":null},"m":false}"#)
}

@Test func serialized_writesNonFiniteNumbersAsNull() {
    let value: JSONValue = [.number(.nan), .number(.infinity), .number(-.infinity)]
    #expect(text(value.serialized()) == "[null,null,null]")
}

@Test func jsonObject_subscriptSetReplacesAppendsAndRemoves() {
    var object: JSONObject = ["a": 1, "b": 2]
    object["a"] = 10
    object["c"] = 3
    object["b"] = nil
    #expect(object.keys == ["a", "c"])
    #expect(object["a"] == .int(10))
    let deduplicated = JSONObject([(key: "k", value: 1), (key: "j", value: 2), (key: "k", value: 3)])
    #expect(deduplicated.keys == ["k", "j"])
    #expect(deduplicated["k"] == .int(3))
}

@Test func jsonValue_equalityIgnoresMemberOrderAndComparesNumbersByValue() {
    let ab: JSONValue = ["a": 1, "b": 2], ba: JSONValue = ["b": 2, "a": 1], a: JSONValue = ["a": 1]
    #expect(ab == ba)
    #expect(a != ab)
    #expect(JSONValue.int(3) == .number(3.0))
    #expect(JSONValue.int(3) != .number(3.5))
    #expect(JSONValue.int(.max) != .number(9_223_372_036_854_775_808))
    #expect(JSONValue.string("\u{E9}") != .string("e\u{301}"))
    #expect(JSONValue.string("x") != .int(1))
}

@Test func jsonValue_accessorsReturnPayloadsOnlyForMatchingKind() {
    let value: JSONValue = ["n": 5, "d": 1.5, "s": "x", "b": true, "a": [.null]]
    #expect(value["n"]?.intValue == 5)
    #expect(value["n"]?.doubleValue == 5)
    #expect(value["d"]?.doubleValue == 1.5)
    #expect(value["d"]?.intValue == nil)
    #expect(value["s"]?.stringValue == "x")
    #expect(value["b"]?.boolValue == true)
    #expect(value["a"]?.arrayValue?.first?.isNull == true)
    #expect(value["missing"] == nil)
    #expect(value["s"]?["x"] == nil)
}
