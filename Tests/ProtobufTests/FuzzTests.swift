import JSON
import Protobuf
import Testing
import TestSupport

// Seeded mutations of the fixtures fed to both decoders: each input must decode or throw, and
// whatever decodes must survive re-encoding unchanged.

/// Byte strings that steer binary mutations towards the decoder's decisions: continuation
/// bytes, group and invalid wire types, field 0, large lengths, invalid UTF-8.
private let binaryInserts: [[UInt8]] = [
    [0x80], [0xFF], [0x00], [0x0B], [0x0C], [0x0E], [0x0F], [0x7F], [0x0A, 0x7F], [0x12, 0x00],
    [0x2A, 0x00], [0x3A, 0x02, 0x12, 0x00], [0xFF, 0xFF, 0xFF, 0xFF, 0x0F], [0x80, 0x80, 0x80, 0x80, 0x10],
    [0xC3, 0x28], [0xED, 0xA0, 0x80], [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
]

/// Text that steers JSON mutations: kinds, numbers, names of either spelling, timestamps.
private let jsonInserts: [[UInt8]] = [
    "null", "true", "\"\"", "{}", "[]", "-", "1e3", "0.5", "\"9223372036854775808\"", ",", ":", "\"",
    "\"event_id\":", "\"eventId\":", "\"status\":", "\"RESERVATION_STATUS_HOLD\"", "\"2026-01-01T12:01:00+09:00\"",
    "\"9999-12-31T23:59:59.999999999Z\"", "\"+/-_\"", "\\u0000", "\u{E9}",
].map { Array($0.utf8) } + [[0xFF], [0xC3]]

private func mutate(_ input: [UInt8], inserts: [[UInt8]], using random: inout SeededGenerator) -> [UInt8] {
    var bytes = input
    for _ in 0..<Int.random(in: 1...4, using: &random) {
        let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
        switch Int.random(in: 0..<7, using: &random) {
        case 0 where !bytes.isEmpty:
            bytes[position] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
        case 1 where !bytes.isEmpty:
            bytes[position] = UInt8.random(in: 0...255, using: &random)
        case 2:
            bytes.insert(contentsOf: inserts.randomElement(using: &random)!, at: position)
        case 3 where !bytes.isEmpty:
            let end = min(bytes.count, position + Int.random(in: 1...8, using: &random))
            bytes.removeSubrange(position..<end)
        case 4 where !bytes.isEmpty:
            let end = min(bytes.count, position + Int.random(in: 1...24, using: &random))
            bytes.insert(contentsOf: bytes[position..<end], at: end)
        case 5:
            bytes.removeSubrange(position..<bytes.count)
        default:
            break
        }
    }
    return bytes
}

/// What any decoded message must satisfy: binary and JSON encodings are stable.
private func checkDecoded<Message: ProtoMessage>(_ message: Message, input: [UInt8]) {
    let encoded = message.serializedBytes()
    do throws(ProtoError) {
        let again = try Message(serializedBytes: encoded)
        #expect(again == message, "binary round trip of \(hex(input))")
        #expect(again.serializedBytes() == encoded, "binary encoding unstable for \(hex(input))")
    } catch {
        Issue.record("re-encoded bytes do not decode: \(error) for \(hex(input))")
    }
    // Any has no JSON reader, and JSON clamps out-of-range timestamps, so check that the JSON
    // form is stable after one trip rather than equal to the message.
    guard Message.self != GoogleRPC.Status.self && Message.self != GoogleProtobuf.`Any`.self else { return }
    let json = message.jsonBytes()
    do throws(ProtoError) {
        let fromJSON = try Message(jsonBytes: json)
        #expect(fromJSON.jsonBytes() == json, "JSON unstable for \(hex(input))")
    } catch {
        Issue.record("written JSON does not decode: \(error) for \(String(decoding: json, as: UTF8.self))")
    }
}

private func fuzzBinary<Message: ProtoMessage>(_ type: Message.Type, _ bytes: [UInt8]) -> Bool {
    do throws(ProtoError) {
        checkDecoded(try Message(serializedBytes: bytes, limits: ProtoLimits(nestingDepthMax: 8)), input: bytes)
        return true
    } catch {
        return false
    }
}

private func fuzzJSON<Message: ProtoMessage>(_ type: Message.Type, _ text: [UInt8]) -> Bool {
    do throws(ProtoError) {
        let message = try Message(jsonBytes: text)
        checkDecoded(message, input: text)
        // JSON input only makes valid values, so here the JSON trip is exact.
        #expect((try? Message(jsonBytes: message.jsonBytes())) == message, "JSON round trip of \(String(decoding: text, as: UTF8.self))")
        return true
    } catch {
        return false
    }
}

@Test(arguments: [UInt64(1), 2, 3])
func binaryDecoder_survivesMutatedFixtures(seed: UInt64) throws {
    var random = SeededGenerator(seed: seed)
    let corpus = roundTripFixtures.filter { !$0.hex.isEmpty }
    let types = messageTypes.values.sorted { $0.protoName < $1.protoName }
    var decoded = 0
    for round in 0..<1200 {
        let fixture = corpus.randomElement(using: &random)!
        let bytes = mutate(fixture.bytes, inserts: binaryInserts, using: &random)
        // Mostly the fixture's own type; sometimes another, which reads the same bytes differently.
        let type = round % 4 == 0 ? types.randomElement(using: &random)! : try #require(messageTypes[fixture.type])
        if fuzzBinary(type, bytes) { decoded += 1 }
    }
    // Both outcomes must be common, or the mutations prove little.
    #expect(decoded > 100)
    #expect(decoded < 1100)
}

@Test(arguments: [UInt64(11), 12])
func jsonDecoder_survivesMutatedFixtures(seed: UInt64) throws {
    var random = SeededGenerator(seed: seed)
    let corpus = roundTripFixtures.filter { $0.json != nil }
    var decoded = 0
    for _ in 0..<1000 {
        let fixture = corpus.randomElement(using: &random)!
        let text = mutate(Array(fixture.json!.utf8), inserts: jsonInserts, using: &random)
        let type = try #require(messageTypes[fixture.type])
        if fuzzJSON(type, text) { decoded += 1 }
    }
    #expect(decoded > 100)
    #expect(decoded < 900)
}
