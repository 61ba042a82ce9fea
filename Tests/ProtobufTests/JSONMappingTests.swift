import JSON
import Protobuf
import Testing

// proto3 JSON input beyond what MessageToJson writes, and the ways JSON input can be wrong.

private func decode<Message: ProtoMessage>(_ type: Message.Type, _ text: String) throws -> Message {
    try Message(jsonBytes: Array(text.utf8))
}

private func json<Message: ProtoMessage>(_ message: Message) -> String {
    String(decoding: message.jsonBytes(), as: UTF8.self)
}

@Test func input_acceptsProtoFieldNamesAsWellAsJSONNames() throws {
    let byProtoNames = try decode(ReservationV1.CreateReservationRequest.self, """
        {"event_id":"evt_1","seat_ids":["A-1"],"idempotency_key":"k","metadata":{"user_agent":"curl","ip_address":"::1"}}
        """)
    let byJSONNames = try decode(ReservationV1.CreateReservationRequest.self, """
        {"eventId":"evt_1","seatIds":["A-1"],"idempotencyKey":"k","metadata":{"userAgent":"curl","ipAddress":"::1"}}
        """)
    #expect(byProtoNames == byJSONNames)
    #expect(byProtoNames.eventID == "evt_1")
    #expect(byProtoNames.metadata?.ipAddress == "::1")
}

@Test func input_sameFieldByBothNames_isAnError() {
    // Python's library keeps the last of the two; Go's protojson rejects them. Rejecting keeps one
    // request from meaning two things.
    #expect(jsonError(ReservationV1.ListReservationsRequest.self, #"{"eventId":"a","event_id":"b"}"#)
        == ProtoError(.duplicateField, fieldPath: "reservation.v1.ListReservationsRequest.event_id"))
}

@Test func input_enumsByNameOrNumber() throws {
    #expect(try decode(ReservationV1.ListReservationsRequest.self, #"{"status":"RESERVATION_STATUS_HOLD"}"#).status == .hold)
    #expect(try decode(ReservationV1.ListReservationsRequest.self, #"{"status":2}"#).status == .hold)
    #expect(try decode(ReservationV1.ListReservationsRequest.self, #"{"status":"2"}"#).status == .hold)
    // Open enums keep unknown numbers, and write them back as numbers.
    let unknown = try decode(ReservationV1.ListReservationsRequest.self, #"{"status":42}"#)
    #expect(unknown.status.rawValue == 42)
    #expect(json(unknown) == #"{"status":42}"#)
    #expect(jsonError(ReservationV1.ListReservationsRequest.self, #"{"status":"HOLD"}"#)
        == ProtoError(.unknownEnumName("HOLD"), fieldPath: "reservation.v1.ListReservationsRequest.status"))
    #expect(jsonError(ReservationV1.ListReservationsRequest.self, #"{"status":2.5}"#)?.reason == .invalidValue("enum must be an integer"))
    #expect(jsonError(ReservationV1.ListReservationsRequest.self, #"{"status":true}"#)?.reason
        == .jsonTypeMismatch(expected: "an enum name or number"))
    #expect(jsonError(ReservationV1.ListReservationsRequest.self, #"{"status":2147483648}"#)?.reason
        == .invalidValue("number out of range for enum"))
}

@Test func input_integersAsNumbersOrStrings() throws {
    #expect(try decode(CommonV1.Money.self, #"{"amount":"9223372036854775807"}"#).amount == .max)
    #expect(try decode(CommonV1.Money.self, #"{"amount":-9223372036854775808}"#).amount == .min)
    #expect(try decode(CommonV1.Money.self, #"{"amount":1e3}"#).amount == 1000)
    #expect(try decode(CommonV1.Money.self, #"{"amount":"1.5e1"}"#).amount == 15)
    #expect(try decode(CommonV1.Money.self, #"{"amount":-0}"#).amount == 0)
    #expect(try decode(CommonV1.Pagination.self, #"{"page":"-7","pageSize":20.0}"#) == .with {
        $0.page = -7
        $0.pageSize = 20
    })
    let bad: [(String, ProtoError.Reason)] = [
        (#"{"page":2147483648}"#, .invalidValue("number out of range for int32")),
        (#"{"page":-2147483649}"#, .invalidValue("number out of range for int32")),
        (#"{"page":1.5}"#, .invalidValue("int32 must be an integer")),
        (#"{"page":" 1"}"#, .invalidValue(#"int32 string " 1" is not a number"#)),
        (#"{"page":"0x10"}"#, .invalidValue(#"int32 string "0x10" is not a number"#)),
        (#"{"page":""}"#, .invalidValue(#"int32 string "" is not a number"#)),
        (#"{"page":true}"#, .jsonTypeMismatch(expected: "int32 as a number or a numeric string")),
        (#"{"page":[1]}"#, .jsonTypeMismatch(expected: "int32 as a number or a numeric string")),
    ]
    for (text, reason) in bad {
        #expect(jsonError(CommonV1.Pagination.self, text) == ProtoError(reason, fieldPath: "common.v1.Pagination.page"), "\(text)")
    }
    #expect(jsonError(CommonV1.Money.self, #"{"amount":9223372036854775808}"#)?.reason == .invalidValue("number out of range for int64"))
    #expect(jsonError(CommonV1.Money.self, #"{"amount":"99999999999999999999"}"#)?.reason == .invalidValue("number out of range for int64"))
}

@Test func output_int64AsStringsInt32AsNumbers() {
    let pageInfo = CommonV1.PageInfo.with {
        $0.totalCount = -3
        $0.hasNext = true
    }
    #expect(json(pageInfo) == #"{"totalCount":-3,"hasNext":true}"#)
    #expect(json(CommonV1.Money(amount: -1, currency: "")) == #"{"amount":"-1"}"#)
}

@Test func input_nullMeansDefault_unknownMembersAreIgnored() throws {
    let request = try decode(ReservationV1.CreateReservationRequest.self, """
        {"eventId":null,"seatIds":null,"quantity":null,"metadata":null,"newField":{"x":[1,2]},"@type":"t",
         "userId":"u"}
        """)
    #expect(request == .with { $0.userID = "u" })
    let metadata = try decode(ReservationV1.ReservationMetadata.self, #"{"tags":null,"source":null}"#)
    #expect(metadata == ReservationV1.ReservationMetadata())
}

@Test func input_wrongJSONKindsAreErrorsNamingTheField() {
    let cases: [(String, String, ProtoError.Reason)] = [
        (#"{"eventId":1}"#, "event_id", .jsonTypeMismatch(expected: "a string")),
        (#"{"seatIds":"A-1"}"#, "seat_ids", .jsonTypeMismatch(expected: "an array")),
        (#"{"seatIds":["A-1",null]}"#, "seat_ids[1]", .jsonTypeMismatch(expected: "a value, not null, in a repeated field")),
        (#"{"seatIds":[7]}"#, "seat_ids[0]", .jsonTypeMismatch(expected: "a string")),
        (#"{"metadata":[]}"#, "metadata", .jsonTypeMismatch(expected: "an object")),
        (#"{"metadata":{"tags":[]}}"#, "metadata.tags", .jsonTypeMismatch(expected: "an object")),
        (#"{"metadata":{"tags":{"a":1}}}"#, #"metadata.tags["a"]"#, .jsonTypeMismatch(expected: "a string")),
        (#"{"metadata":{"tags":{"a":null}}}"#, #"metadata.tags["a"]"#, .jsonTypeMismatch(expected: "a value, not null, in a map")),
    ]
    for (text, path, reason) in cases {
        #expect(jsonError(ReservationV1.CreateReservationRequest.self, text)
            == ProtoError(reason, fieldPath: "reservation.v1.CreateReservationRequest." + path), "\(text)")
    }
    #expect(jsonError(CommonV1.PageInfo.self, #"{"hasNext":"true"}"#)?.reason == .jsonTypeMismatch(expected: "true or false"))
    #expect(jsonError(CommonV1.PageInfo.self, #"[]"#) == ProtoError(.jsonTypeMismatch(expected: "an object"), fieldPath: "common.v1.PageInfo"))
    let nested = jsonError(ReservationV1.ListReservationsResponse.self, #"{"reservations":[{},{"seats":[{"price":{"amount":"x"}}]}]}"#)
    #expect(nested?.fieldPath == "reservation.v1.ListReservationsResponse.reservations[1].seats[0].price.amount")
    #expect(nested?.message == #"reservation.v1.ListReservationsResponse.reservations[1].seats[0].price.amount: int64 string "x" is not a number"#)
}

@Test func input_malformedJSONIsAnError() {
    guard case .invalidJSON(let error)? = jsonError(CommonV1.Money.self, #"{"amount":"#)?.reason else {
        Issue.record("expected invalidJSON")
        return
    }
    #expect(error.reason == .unexpectedEndOfInput)
    // Exact duplicate keys are the JSON parser's to reject.
    guard case .invalidJSON(let duplicate)? = jsonError(CommonV1.Money.self, #"{"amount":1,"amount":2}"#)?.reason else {
        Issue.record("expected invalidJSON")
        return
    }
    #expect(duplicate.reason == .duplicateKey("amount"))
}

@Test func timestamps_inputWithOffsetsAndAnyFractionDigits() throws {
    let cases: [(String, Int64, Int32)] = [
        ("2026-01-01T12:01:00Z", noon, 0),
        ("2026-01-01T12:01:00.5Z", noon, 500_000_000),
        ("2026-01-01T12:01:00.12345Z", noon, 123_450_000),
        ("2026-01-01T12:01:00.123456789Z", noon, 123_456_789),
        ("2026-01-01T21:01:00+09:00", noon, 0),
        ("2026-01-01T07:31:00.000001-04:30", noon, 1000),
        ("2026-01-01T12:01:00+00:00", noon, 0),
        ("1970-01-01T00:00:00Z", 0, 0),
        ("1969-12-31T23:59:59.999Z", -1, 999_000_000),
        ("0001-01-01T00:00:00Z", -62_135_596_800, 0),
        ("9999-12-31T23:59:59.999999999Z", 253_402_300_799, 999_999_999),
        ("2000-02-29T00:00:00Z", 951_782_400, 0),
        ("2100-03-01T00:00:00Z", 4_107_542_400, 0),
        // An offset may carry a time just past a range end back inside it.
        ("0001-01-01T08:00:00+08:00", -62_135_596_800, 0),
    ]
    for (text, seconds, nanos) in cases {
        let timestamp = try Timestamp(rfc3339: text)
        #expect(timestamp == Timestamp(seconds: seconds, nanos: nanos), "\(text)")
        let response = try decode(ReservationV1.ExtendHoldResponse.self, #"{"newExpiresAt":"\#(text)"}"#)
        #expect(response.newExpiresAt == timestamp)
    }
}

@Test func timestamps_outputFewestOf0369FractionDigits() {
    let cases: [(Int64, Int32, String)] = [
        (noon, 0, "2026-01-01T12:01:00Z"),
        (noon, 100_000_000, "2026-01-01T12:01:00.100Z"),
        (noon, 120_000, "2026-01-01T12:01:00.000120Z"),
        (noon, 100, "2026-01-01T12:01:00.000000100Z"),
        (-1, 500_000_000, "1969-12-31T23:59:59.500Z"),
        (-62_135_596_800, 0, "0001-01-01T00:00:00Z"),
        (253_402_300_799, 999_999_999, "9999-12-31T23:59:59.999999999Z"),
    ]
    for (seconds, nanos, text) in cases {
        #expect(Timestamp(seconds: seconds, nanos: nanos).rfc3339 == text)
        #expect(json(Timestamp(seconds: seconds, nanos: nanos)) == "\"\(text)\"")
    }
    // Out of range values are clamped rather than written as something unparseable.
    #expect(Timestamp(seconds: .max, nanos: -5).rfc3339 == "9999-12-31T23:59:59Z")
}

@Test func timestamps_malformedOrOutOfRangeAreErrors() {
    let bad = [
        "", "2026-01-01", "2026-01-01T12:01:00", "2026-01-01 12:01:00Z", "2026-01-01t12:01:00Z", "2026-01-01T12:01:00z",
        "2026-1-01T12:01:00Z", "2026-01-01T12:01Z", "2026-01-01T12:01:00.Z", "2026-01-01T12:01:00.1234567891Z",
        "2026-01-01T12:01:00+0900", "2026-01-01T12:01:00+9:00", "2026-01-01T12:01:00+24:00", "2026-01-01T12:01:00+09:60",
        "2026-13-01T12:01:00Z", "2026-00-01T12:01:00Z", "2026-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
        "2026-01-00T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T12:60:00Z", "2026-01-01T12:01:60Z",
        "0000-12-31T23:59:59Z", "0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01", "+2026-01-01T12:01:00Z",
        "2026-01-01T12:01:00Z ", "２026-01-01T12:01:00Z",
    ]
    for text in bad {
        #expect(throws: ProtoError.self, "\(text)") { try Timestamp(rfc3339: text) }
        let error = jsonError(ReservationV1.ExtendHoldResponse.self, #"{"new_expires_at":"\#(text)"}"#)
        guard case .invalidTimestamp? = error?.reason else {
            Issue.record("\(text): \(String(describing: error))")
            continue
        }
        #expect(error?.fieldPath == "reservation.v1.ExtendHoldResponse.new_expires_at")
    }
    #expect(jsonError(ReservationV1.ExtendHoldResponse.self, #"{"newExpiresAt":{"seconds":1}}"#)?.reason
        == .jsonTypeMismatch(expected: "an RFC 3339 timestamp string"))
}

@Test func timestamps_millisecondHelpers() {
    #expect(Timestamp(milliseconds: 1_767_268_860_123) == Timestamp(seconds: noon, nanos: 123_000_000))
    #expect(Timestamp(milliseconds: -1) == Timestamp(seconds: -1, nanos: 999_000_000))
    #expect(Timestamp(milliseconds: -1000) == Timestamp(seconds: -1, nanos: 0))
    #expect(Timestamp(seconds: noon, nanos: 123_999_999).milliseconds == 1_767_268_860_123)
    #expect(Timestamp(seconds: -1, nanos: 999_000_000).milliseconds == -1)
    for milliseconds: Int64 in [0, 1, -1, 999, -999, 1000, -1001, 1_767_268_860_123, -62_135_596_800_000] {
        #expect(Timestamp(milliseconds: milliseconds).milliseconds == milliseconds)
    }
}

@Test func bytes_base64StandardOrURLSafePaddedOrNot() throws {
    let data: [UInt8] = [0xFB, 0xFF, 0xBF, 0x00, 0x01]
    #expect(json(Scalars.with { $0.data = data }) == #"{"data":"+/+/AAE="}"#)
    for text in ["+/+/AAE=", "+/+/AAE", "-_-_AAE=", "-_-_AAE"] {
        #expect(try decode(Scalars.self, #"{"data":"\#(text)"}"#).data == data, "\(text)")
    }
    for text in ["+/+/AAE==", "+/+/A", "+/+/AA=E", "+/+/AAE*", "+/+/ AAE="] {
        #expect(jsonError(Scalars.self, #"{"data":"\#(text)"}"#) == ProtoError(.invalidBase64, fieldPath: "prototest.v1.Scalars.data"), "\(text)")
    }
    for length in 0...7 {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 200) }
        let message = Scalars.with { $0.data = bytes }
        #expect(try Scalars(jsonBytes: message.jsonBytes()) == message)
    }
}

@Test func maps_writeKeysInUTF8ByteOrderWithPrefixesLast() {
    let metadata = ReservationV1.ReservationMetadata.with {
        $0.tags = ["b": "", "a": "", "\u{E9}": "", "Z": "", "ab": "", "": "", "\u{E000}": "", "🎫": ""]
    }
    #expect(json(metadata) == #"{"tags":{"Z":"","ab":"","a":"","b":"","é":"","\#u{E000}":"","🎫":"","":""}}"#)
    // The same order on the wire: entry keys in sequence.
    var keys: [String] = []
    for entry in metadata.serializedBytes().split(separator: 0x2A, omittingEmptySubsequences: false).dropFirst() {
        keys.append(String(decoding: entry.dropFirst(3).prefix(Int(entry[entry.startIndex + 2])), as: UTF8.self))
    }
    #expect(keys == ["Z", "ab", "a", "b", "\u{E9}", "\u{E000}", "🎫", ""])
}

@Test func maps_keysEqualUnderUnicodeNormalizationAreOneKey() throws {
    // Swift Strings compare by canonical equivalence, so a [String: String] holds one of "é"
    // (U+00E9) and "e" + U+0301; protobuf would keep both. Decoding keeps the last.
    let bytes = lengthDelimited(5, lengthDelimited(1, Array("\u{E9}".utf8)) + lengthDelimited(2, [0x31]))
        + lengthDelimited(5, lengthDelimited(1, Array("e\u{301}".utf8)) + lengthDelimited(2, [0x32]))
    let metadata = try ReservationV1.ReservationMetadata(serializedBytes: bytes)
    #expect(metadata.tags.count == 1)
    #expect(metadata.tags["\u{E9}"] == "2")
}

@Test func any_isBinaryOnly() throws {
    let packed = GoogleProtobuf.`Any`(packing: sampleErrorInfo)
    #expect(packed.typeURL == "type.googleapis.com/google.rpc.ErrorInfo")
    #expect(try packed.unpack(GoogleRPC.ErrorInfo.self) == sampleErrorInfo)
    #expect(try packed.unpack(CommonV1.Money.self) == nil)
    #expect(jsonError(GoogleRPC.Status.self, #"{"details":[{"@type":"x"}]}"#)?.reason == .unsupported("JSON for google.protobuf.Any"))
}

@Test func nesting_beyondTheDepthLimitIsRejectedInJSONToo() throws {
    /// `levels` DescriptorProtos nested through nestedType.
    func nested(_ levels: Int) -> JSONValue {
        var value: JSONValue = [:]
        for _ in 0..<levels { value = ["nestedType": [value]] }
        return value
    }
    #expect(throws: Never.self) { try GoogleProtobuf.DescriptorProto(json: nested(32)) }
    #expect(throws: ProtoError(.depthLimitExceeded(32), fieldPath: "google.protobuf.DescriptorProto" + String(repeating: ".nested_type[0]", count: 33))) {
        try GoogleProtobuf.DescriptorProto(json: nested(33))
    }
    // As text, the JSON parser's own depth limit (two levels per message) stops it first.
    let text = nested(40).serialized()
    guard case .invalidJSON(let error)? = jsonError(GoogleProtobuf.DescriptorProto.self, String(decoding: text, as: UTF8.self))?.reason else {
        Issue.record("expected invalidJSON")
        return
    }
    #expect(error.reason == .depthLimitExceeded(66))
}

@Test func json_largerThanTheLimitIsRejected() {
    let text = #"{"amount":"1"}"#
    #expect(jsonError(CommonV1.Money.self, text, limits: ProtoLimits(messageBytesMax: text.utf8.count)) == nil)
    #expect(jsonError(CommonV1.Money.self, text, limits: ProtoLimits(messageBytesMax: text.utf8.count - 1))?.reason
        == .messageTooLarge(text.utf8.count - 1))
}

@Test func enums_nameLookupBothWays() {
    #expect(ReservationV1.ReservationStatus.hold.name == "RESERVATION_STATUS_HOLD")
    #expect(ReservationV1.ReservationStatus(name: "RESERVATION_STATUS_REFUNDED") == .refunded)
    #expect(ReservationV1.ReservationStatus(name: "HOLD") == nil)
    #expect(ReservationV1.ReservationStatus(rawValue: 99).name == nil)
    #expect("\(ReservationV1.ReservationStatus(rawValue: 99))" == "99")
    #expect("\(CommonV1.ErrorCode.internal)" == "ERROR_CODE_INTERNAL")
    #expect(CommonV1.ErrorCode.protoValues.numbers == Array(0...22))
    #expect(CommonV1.SeatStatus.protoValues.numbers == Array(0...4))
    #expect(ReservationV1.ReservationStatus.protoValues.numbers == Array(0...7))
}
