/// The files of a serialized `google.protobuf.FileDescriptorSet`, each kept as the exact bytes the
/// set stores, with the fully qualified names each file declares: what server reflection answers
/// from.
///
/// The bytes are cut out of the set rather than re-encoded: the descriptor types of this module
/// decode only a subset of descriptor.proto (see `FileDescriptorSet`), so re-encoding would drop
/// options, field types and json names that clients need.
public struct DescriptorIndex: Sendable {
    /// One file of the set.
    public struct File: Sendable, Equatable {
        /// The import path, e.g. `reservation/v1/reservation.proto`.
        public let name: String
        public let package: String
        /// The serialized `FileDescriptorProto`, byte for byte as the set holds it.
        public let bytes: [UInt8]
        /// The positions in `files` of the files this one imports, in import order.
        public let dependencies: [Int]
    }

    /// What a fully qualified name declares.
    public enum SymbolKind: Sendable, Equatable {
        case message, field, oneof, enumType, enumValue, service, method
    }

    /// A declaration: its kind and the position in `files` of the file that declares it.
    public struct Symbol: Sendable, Equatable {
        public let kind: SymbolKind
        public let file: Int
    }

    /// The files, in the set's order.
    public let files: [File]
    /// The fully qualified names of the services the files declare, in the set's order.
    public let serviceNames: [String]
    /// How many extensions the files declare, at the top level or inside messages (their names
    /// are not indexed).
    public let extensionCount: Int
    private let fileByName: [String: Int]
    private let symbolByName: [String: Symbol]

    /// Indexes a serialized set. Throws when the bytes are not a set, a file imports one the set
    /// lacks, or two declarations share a name (protoc refuses to write such sets).
    public init(serializedSet: [UInt8]) throws(ProtoError) {
        let slices = try Self.fileSlices(of: serializedSet)
        var declarations: [FileDescriptorProto] = []
        declarations.reserveCapacity(slices.count)
        var fileByName: [String: Int] = [:]
        for (index, slice) in slices.enumerated() {
            let file = try FileDescriptorProto(serializedBytes: slice)
            guard fileByName.updateValue(index, forKey: file.name) == nil else {
                throw ProtoError(.invalidValue("file \(file.name) appears twice"), fieldPath: FileDescriptorSet.protoName)
            }
            declarations.append(file)
        }

        var builder = SymbolTableBuilder()
        var files: [File] = []
        for (index, file) in declarations.enumerated() {
            var dependencies: [Int] = []
            for dependency in file.dependency {
                guard let position = fileByName[dependency] else {
                    throw ProtoError(.invalidValue("\(file.name) imports \(dependency), which the set lacks"),
                                     fieldPath: FileDescriptorSet.protoName)
                }
                dependencies.append(position)
            }
            files.append(File(name: file.name, package: file.package, bytes: slices[index], dependencies: dependencies))
            try builder.add(file, at: index)
        }
        self.files = files
        self.fileByName = fileByName
        symbolByName = builder.symbols
        serviceNames = builder.serviceNames
        extensionCount = builder.extensionCount
    }

    /// The position in `files` of the file with this import path.
    public func file(named name: String) -> Int? {
        fileByName[name]
    }

    /// The declaration of a fully qualified name (no leading dot): a message, nested message,
    /// field, oneof, enum, enum value (named in the enum's enclosing scope, as protobuf scopes
    /// them: `grpc.health.v1.HealthCheckResponse.SERVING`), service, or method (`<service>.<method>`).
    public func symbol(named name: String) -> Symbol? {
        symbolByName[name]
    }

    /// `file` first, then every file it imports directly or through others, each once, in the
    /// set's order (which protoc makes dependencies first).
    public func fileWithDependencies(_ file: Int) -> [Int] {
        var included: Set<Int> = [file]
        var pending = [file]
        while let next = pending.popLast() {
            for dependency in files[next].dependencies where included.insert(dependency).inserted {
                pending.append(dependency)
            }
        }
        included.remove(file)
        return [file] + included.sorted()
    }

    /// The payloads of the set's field 1 (`repeated FileDescriptorProto file`), as stored.
    private static func fileSlices(of set: [UInt8]) throws(ProtoError) -> [[UInt8]] {
        let result = set.withUnsafeBytes { raw -> Result<[[UInt8]], ProtoError> in
            var reader = ProtoReader(raw)
            var slices: [[UInt8]] = []
            do throws(ProtoError) {
                while !reader.isAtEnd {
                    let (number, wireType) = try reader.readTag()
                    guard number == 1 else {
                        try reader.skipField(wireType)
                        continue
                    }
                    guard wireType == .len else { throw ProtoError(.wireTypeMismatch(expected: .len, found: wireType), fieldPath: "file") }
                    slices.append(Array(try reader.readLengthDelimited()))
                }
            } catch {
                return .failure(error.inside(FileDescriptorSet.protoName))
            }
            return .success(slices)
        }
        return try result.get()
    }
}

extension DescriptorIndex {
    typealias FileDescriptorSet = GoogleProtobuf.FileDescriptorSet
    typealias FileDescriptorProto = GoogleProtobuf.FileDescriptorProto
}

/// Collects the fully qualified names of a set's declarations (protobuf's scoping: a package,
/// then messages nesting; an enum's values are siblings of the enum).
private struct SymbolTableBuilder {
    var symbols: [String: DescriptorIndex.Symbol] = [:]
    var serviceNames: [String] = []
    var extensionCount = 0

    mutating func add(_ file: GoogleProtobuf.FileDescriptorProto, at index: Int) throws(ProtoError) {
        let scope = file.package.isEmpty ? "" : file.package + "."
        for message in file.messageType { try add(message, scope: scope, file: index) }
        for enumeration in file.enumType { try add(enumeration, scope: scope, file: index) }
        for service in file.service {
            let name = scope + service.name
            try add(name, .service, file: index)
            serviceNames.append(name)
            for method in service.method { try add(name + "." + method.name, .method, file: index) }
        }
        extensionCount += file.extension.count
    }

    private mutating func add(_ message: GoogleProtobuf.DescriptorProto, scope: String, file: Int) throws(ProtoError) {
        let name = scope + message.name
        try add(name, .message, file: file)
        for field in message.field { try add(name + "." + field.name, .field, file: file) }
        for oneof in message.oneofDecl { try add(name + "." + oneof.name, .oneof, file: file) }
        for nested in message.nestedType { try add(nested, scope: name + ".", file: file) }
        for enumeration in message.enumType { try add(enumeration, scope: name + ".", file: file) }
        extensionCount += message.extension.count
    }

    private mutating func add(_ enumeration: GoogleProtobuf.EnumDescriptorProto, scope: String, file: Int) throws(ProtoError) {
        try add(scope + enumeration.name, .enumType, file: file)
        for value in enumeration.value { try add(scope + value.name, .enumValue, file: file) }
    }

    private mutating func add(_ name: String, _ kind: DescriptorIndex.SymbolKind, file: Int) throws(ProtoError) {
        guard symbols.updateValue(DescriptorIndex.Symbol(kind: kind, file: file), forKey: name) == nil else {
            throw ProtoError(.invalidValue("\(name) is declared twice"), fieldPath: GoogleProtobuf.FileDescriptorSet.protoName)
        }
    }
}
