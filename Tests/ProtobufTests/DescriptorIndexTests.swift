import Protobuf
import Testing

// The index that reflection answers from, over the committed descriptor set and over small
// hand-made sets (RPCTests compares it with Python's DescriptorPool name by name).

private func contractIndex() throws -> DescriptorIndex {
    try DescriptorIndex(serializedSet: DescriptorSet.bytes)
}

/// A serialized FileDescriptorSet of the given serialized files.
private func set(_ files: [[UInt8]]) -> [UInt8] {
    files.flatMap { lengthDelimited(1, $0) }
}

private func file(_ name: String, package: String = "", imports: [String] = [], messages: [String] = []) -> [UInt8] {
    var proto = GoogleProtobuf.FileDescriptorProto()
    proto.name = name
    proto.package = package
    proto.dependency = imports
    proto.messageType = messages.map { name in GoogleProtobuf.DescriptorProto.with { $0.name = name } }
    return proto.serializedBytes()
}

@Test func index_keepsEachFileAsTheExactBytesOfTheSet() throws {
    let index = try contractIndex()
    #expect(index.files.map(\.name) == DescriptorSet.fileNames)
    // The set is field 1 repeated and nothing else: the slices, framed again, are the set.
    #expect(set(index.files.map(\.bytes)) == DescriptorSet.bytes)
    for file in index.files {
        let decoded = try GoogleProtobuf.FileDescriptorProto(serializedBytes: file.bytes)
        #expect(decoded.name == file.name)
        #expect(decoded.package == file.package)
        #expect(decoded.dependency == file.dependencies.map { index.files[$0].name })
    }
}

@Test func index_findsEveryKindOfDeclaration() throws {
    let index = try contractIndex()
    func kind(_ name: String) -> DescriptorIndex.SymbolKind? { index.symbol(named: name)?.kind }
    #expect(kind("reservation.v1.ReservationService") == .service)
    #expect(kind("reservation.v1.ReservationService.CreateReservation") == .method)
    #expect(kind("com.traffic_tacos.reservation.v1.ReservationService.ExtendHold") == .method)
    #expect(kind("reservation.v1.Reservation") == .message)
    #expect(kind("reservation.v1.ReservationMetadata.TagsEntry") == .message)
    #expect(kind("reservation.v1.ReservationMetadata.TagsEntry.key") == .field)
    #expect(kind("reservation.v1.Reservation.hold_expires_at") == .field)
    #expect(kind("reservation.v1.ReservationStatus") == .enumType)
    #expect(kind("reservation.v1.RESERVATION_STATUS_HOLD") == .enumValue)
    #expect(kind("grpc.health.v1.HealthCheckResponse.ServingStatus") == .enumType)
    #expect(kind("grpc.health.v1.HealthCheckResponse.SERVING") == .enumValue)
    #expect(kind("grpc.reflection.v1.ServerReflectionRequest.message_request") == .oneof)
    #expect(kind("google.protobuf.Timestamp") == .message)
    // Names that are not declarations: a package, an enum value under the enum's own name, a leading dot.
    for name in ["reservation.v1", "reservation.v1.ReservationStatus.RESERVATION_STATUS_HOLD", ".reservation.v1.Reservation", ""] {
        #expect(index.symbol(named: name) == nil, "\(name)")
    }
    #expect(index.extensionCount == 0)
    #expect(index.serviceNames == [
        "reservation.v1.ReservationService", "com.traffic_tacos.reservation.v1.ReservationService", "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
    ])
}

@Test func index_listsAFileThenItsTransitiveImportsOnce() throws {
    let index = try DescriptorIndex(serializedSet: set([
        file("a.proto"), file("b.proto", imports: ["a.proto"]), file("c.proto", imports: ["a.proto"]),
        file("d.proto", imports: ["c.proto", "b.proto"]), file("e.proto"),
    ]))
    let names = { (name: String) in index.fileWithDependencies(index.file(named: name)!).map { index.files[$0].name } }
    #expect(names("d.proto") == ["d.proto", "a.proto", "b.proto", "c.proto"])
    #expect(names("b.proto") == ["b.proto", "a.proto"])
    #expect(names("e.proto") == ["e.proto"])
    #expect(index.file(named: "f.proto") == nil)
}

@Test func index_refusesSetsProtocWouldNotWrite() {
    func error(_ bytes: [UInt8]) -> ProtoError? {
        do throws(ProtoError) {
            _ = try DescriptorIndex(serializedSet: bytes)
            return nil
        } catch {
            return error
        }
    }
    #expect(error(set([file("b.proto", imports: ["a.proto"])]))?.reason == .invalidValue("b.proto imports a.proto, which the set lacks"))
    #expect(error(set([file("a.proto"), file("a.proto")]))?.reason == .invalidValue("file a.proto appears twice"))
    #expect(error(set([file("a.proto", package: "p", messages: ["M"]), file("b.proto", package: "p", messages: ["M"])]))?.reason
        == .invalidValue("p.M is declared twice"))
    #expect(error(tag(1, 0) + varint(1))?.reason == .wireTypeMismatch(expected: .len, found: .varint))
    #expect(error(lengthDelimited(1, [0xFF]))?.reason == .truncated)
    // An empty set is a set with no files.
    #expect(error([]) == nil)
}
