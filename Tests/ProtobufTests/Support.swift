import JSON
import Protobuf
import Testing
import TestSupport

/// One sample from Fixtures.swift.
struct Fixture: Sendable, CustomTestStringConvertible {
    let name: String
    /// The message's full name.
    let type: String
    /// The deterministic binary encoding, in hex.
    let hex: String
    /// `MessageToJson` text, or nil where the JSON form needs google.protobuf.Any.
    let json: String?

    var bytes: [UInt8] { decodeHex(hex) }
    var testDescription: String { name }

    static func named(_ name: String) -> Fixture {
        guard let fixture = fixtures.first(where: { $0.name == name }) else { preconditionFailure("no fixture \(name)") }
        return fixture
    }
}

func decodeHex(_ hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    precondition(digits.count % 2 == 0, "odd hex length")
    func nibble(_ digit: UInt8) -> UInt8 {
        digit <= UInt8(ascii: "9") ? digit - UInt8(ascii: "0") : digit - UInt8(ascii: "a") + 10
    }
    return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Every message type the fixtures use, by full name.
let messageTypes: [String: any ProtoMessage.Type] = {
    let types: [any ProtoMessage.Type] = [
        CommonV1.Money.self, CommonV1.Seat.self, CommonV1.Pagination.self, CommonV1.PageInfo.self,
        CommonV1.Error.self, CommonV1.ErrorDetail.self,
        ReservationV1.CreateReservationRequest.self, ReservationV1.CreateReservationResponse.self,
        ReservationV1.GetReservationRequest.self, ReservationV1.GetReservationResponse.self,
        ReservationV1.ConfirmReservationRequest.self, ReservationV1.ConfirmReservationResponse.self,
        ReservationV1.CancelReservationRequest.self, ReservationV1.CancelReservationResponse.self,
        ReservationV1.ListReservationsRequest.self, ReservationV1.ListReservationsResponse.self,
        ReservationV1.ExtendHoldRequest.self, ReservationV1.ExtendHoldResponse.self,
        ReservationV1.Reservation.self, ReservationV1.ReservationMetadata.self,
        GoogleProtobuf.Timestamp.self, GoogleProtobuf.`Any`.self, GoogleRPC.Status.self, GoogleRPC.ErrorInfo.self,
        GRPCHealthV1.HealthCheckRequest.self, GRPCHealthV1.HealthCheckResponse.self,
        Scalars.self,
    ] + reflectionTypes(GRPCReflectionV1.self) + reflectionTypes(GRPCReflectionV1Alpha.self)
    return Dictionary(uniqueKeysWithValues: types.map { ($0.protoName, $0) })
}()

/// The reflection message types of one package.
func reflectionTypes<Package: GRPCReflectionPackage>(_ package: Package.Type) -> [any ProtoMessage.Type] {
    [
        GRPCReflection.ServerReflectionRequest<Package>.self, GRPCReflection.ExtensionRequest<Package>.self,
        GRPCReflection.ServerReflectionResponse<Package>.self, GRPCReflection.FileDescriptorResponse<Package>.self,
        GRPCReflection.ExtensionNumberResponse<Package>.self, GRPCReflection.ListServiceResponse<Package>.self,
        GRPCReflection.ServiceResponse<Package>.self, GRPCReflection.ErrorResponse<Package>.self,
    ]
}

/// `prototest.v1.Color` from testdata/test_messages.proto.
struct Color: ProtoEnum {
    var rawValue: Int32
    init(rawValue: Int32) { self.rawValue = rawValue }
    static let unspecified = Color(rawValue: 0)
    static let red = Color(rawValue: 1)
    static let green = Color(rawValue: 2)
    static let protoName = "prototest.v1.Color"
    static let protoValues: ProtoEnumValues = [0: "COLOR_UNSPECIFIED", 1: "COLOR_RED", 2: "COLOR_GREEN"]
}

/// `prototest.v1.Scalars`: repeated scalars, bytes and non-string map values, which proto/ lacks.
struct Scalars: ProtoMessage {
    var int32s: [Int32] = []
    var int64s: [Int64] = []
    var bools: [Bool] = []
    var colors: [Color] = []
    var data: [UInt8] = []
    var blobs: [[UInt8]] = []
    var names: [String] = []
    var counts: [String: Int64] = [:]
    var shades: [String: Color] = [:]
    var big: Int64 = 0
    var flag = false
    var color = Color.unspecified

    static let protoName = "prototest.v1.Scalars"
    static let schema = ProtoSchema<Scalars>([
        .repeated(1, "int32s", \.int32s),
        .repeated(2, "int64s", \.int64s),
        .repeated(3, "bools", \.bools),
        .repeated(4, "colors", \.colors),
        .scalar(5, "data", \.data),
        .repeated(6, "blobs", \.blobs),
        .repeated(7, "names", \.names),
        .map(8, "counts", \.counts),
        .map(9, "shades", \.shades),
        .scalar(10, "big", \.big),
        .scalar(11, "flag", \.flag),
        .scalar(12, "color", \.color),
    ])
}

/// Decodes `bytes` as `type` and returns the error it throws, or nil when it decodes.
func binaryError<Message: ProtoMessage>(_ type: Message.Type, _ bytes: [UInt8], limits: ProtoLimits = .default) -> ProtoError? {
    do throws(ProtoError) {
        _ = try Message(serializedBytes: bytes, limits: limits)
        return nil
    } catch {
        return error
    }
}

/// Decodes JSON `text` as `type` and returns the error it throws, or nil when it decodes.
func jsonError<Message: ProtoMessage>(_ type: Message.Type, _ text: String, limits: ProtoLimits = .default) -> ProtoError? {
    do throws(ProtoError) {
        _ = try Message(jsonBytes: Array(text.utf8), limits: limits)
        return nil
    } catch {
        return error
    }
}

/// Parses JSON text for comparisons by value (member order ignored).
func parseJSON(_ bytes: [UInt8]) throws -> JSONValue {
    try JSON.parse(bytes)
}
