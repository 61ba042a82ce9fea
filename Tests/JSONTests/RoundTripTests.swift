import JSON
import Testing
import TestSupport

/// Random JSON values that stress escaping, UTF-8 widths, number forms and nesting.
struct ValueGenerator {
    var rng: SeededGenerator

    mutating func scalar() -> Unicode.Scalar {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return Unicode.Scalar(UInt8.random(in: 0..<0x20, using: &rng))  // controls
        case 1: return ["\"", "\\", "/", "\u{7F}"].randomElement(using: &rng)!
        case 2: return Unicode.Scalar(UInt32.random(in: 0x80..<0x800, using: &rng))!
        case 3:
            // BMP outside the surrogates, favouring the U+E000–U+FFFF block that sorts differently in UTF-16.
            let v = Bool.random(using: &rng)
                ? UInt32.random(in: 0x800..<0xD800, using: &rng) : UInt32.random(in: 0xE000...0xFFFF, using: &rng)
            return Unicode.Scalar(v)!
        case 4: return Unicode.Scalar(UInt32.random(in: 0x10000...0x10FFFF, using: &rng))!
        default: return Unicode.Scalar(UInt8.random(in: 0x20..<0x7F, using: &rng))
        }
    }

    mutating func string(maxLength: Int = 12) -> String {
        var s = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...maxLength, using: &rng) { s.append(scalar()) }
        return String(s)
    }

    mutating func number() -> JSONValue {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return .int(Int64(bitPattern: rng.next()))
        case 1: return .int(Int64.random(in: -1000...1000, using: &rng))
        case 2:
            var d: Double
            repeat { d = Double(bitPattern: rng.next()) } while !d.isFinite
            return .number(d)
        default: return .number(Double(Int.random(in: -100_000...100_000, using: &rng)) / 64)
        }
    }

    mutating func value(depth: Int = 0) -> JSONValue {
        let containers = depth < 5
        switch Int.random(in: 0..<(containers ? 8 : 5), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return number()
        case 3, 4: return .string(string())
        case 5, 6:
            return .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in value(depth: depth + 1) })
        default:
            var object = JSONObject()
            for _ in 0..<Int.random(in: 0...5, using: &rng) {
                // Short keys from a small alphabet collide now and then; JSONObject keeps them unique.
                object[Bool.random(using: &rng) ? string(maxLength: 2) : string()] = value(depth: depth + 1)
            }
            return .object(object)
        }
    }
}

@Test func roundTrip_parseSerializeParsePreservesFixedDocuments() throws {
    let documents = [
        #"{"reservation":{"id":123,"seats":["A1","A2"],"holder":"Zoë \"Z\" O'Neil","paid":false,"price":99.95}}"#,
        #"[0,-0,1e3,1.5e-9,-9223372036854775808,9223372036854775808,"\u0000\u001f\ud83d\ude00",[],{}]"#,
        #"{"":{"":[{"":null}]}}"#,
    ]
    for document in documents {
        let value = try JSON.parse(document)
        let once = value.serialized()
        #expect(try JSON.parse(once) == value)
        #expect(try JSON.parse(once).serialized() == once)
    }
}

@Test func roundTrip_randomValuesSurviveSerializeAndCanonicalize() throws {
    var generator = ValueGenerator(rng: SeededGenerator(seed: 0x4A53_4F4E))
    for iteration in 0..<3000 {
        let value = generator.value()
        let compact = value.serialized()
        let reparsed = try JSON.parse(compact)
        #expect(reparsed == value, "iteration \(iteration)")
        // Member order survives compact serialization, so a second pass is byte-identical.
        #expect(reparsed.serialized() == compact, "iteration \(iteration)")

        let canonicalBytes = CanonicalJSON.serialize(value)
        let fromCanonical = try JSON.parse(canonicalBytes)
        #expect(fromCanonical == value, "iteration \(iteration)")
        #expect(CanonicalJSON.serialize(fromCanonical) == canonicalBytes, "iteration \(iteration)")
    }
}

@Test func canonicalJSON_keyOrderMatchesUTF16CodeUnitOrderForRandomKeys() throws {
    var generator = ValueGenerator(rng: SeededGenerator(seed: 16))
    for _ in 0..<500 {
        var object = JSONObject()
        for _ in 0..<8 { object[generator.string(maxLength: 3)] = .null }
        // The parser keeps document order, so reading the canonical text back reveals its key order.
        let keys = try #require(try JSON.parse(CanonicalJSON.serialize(.object(object))).objectValue).keys
        let expected = object.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
        #expect(keys.elementsEqual(expected) { $0.unicodeScalars.elementsEqual($1.unicodeScalars) })
    }
}
