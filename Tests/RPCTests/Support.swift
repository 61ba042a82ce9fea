import Crypto
import Protobuf

/// One file of the compiled contract as protobuf's Python library read it (ReflectionFixtures.swift).
struct DescriptorFileFixture: Sendable {
    let name: String
    let package: String
    /// SHA-256 of the serialized FileDescriptorProto, cut out of the set's bytes.
    let sha256: String
    /// What file_by_filename answers: the file, then its transitive imports in the set's order.
    let withDependencies: [String]

    static func named(_ name: String) -> DescriptorFileFixture {
        guard let file = descriptorFiles.first(where: { $0.name == name }) else { preconditionFailure("no file fixture \(name)") }
        return file
    }
}

/// A name a file declares, with the file Python's DescriptorPool finds it in.
struct SymbolFixture: Sendable, CustomStringConvertible {
    let name: String
    let kind: DescriptorIndex.SymbolKind
    let file: String

    var description: String { name }
}

typealias V1 = GRPCReflectionV1
typealias V1Alpha = GRPCReflectionV1Alpha

/// A v1 request asking `question`.
func request(_ question: V1.ServerReflectionRequest.MessageRequest?, host: String = "") -> V1.ServerReflectionRequest {
    V1.ServerReflectionRequest.with {
        $0.host = host
        $0.messageRequest = question
    }
}

/// The served files of a file descriptor response; nil for any other answer.
func servedFiles<Package>(_ response: GRPCReflection.ServerReflectionResponse<Package>) -> [[UInt8]]? {
    guard case .fileDescriptorResponse(let files) = response.messageResponse else { return nil }
    return files.fileDescriptorProto
}

/// The names of the served files, read back with the module's descriptor types.
func servedFileNames<Package>(_ response: GRPCReflection.ServerReflectionResponse<Package>) throws -> [String]? {
    try servedFiles(response)?.map { try GoogleProtobuf.FileDescriptorProto(serializedBytes: $0).name }
}

/// The error response's code and message; nil for any other answer.
func errorAnswer<Package>(_ response: GRPCReflection.ServerReflectionResponse<Package>) -> (code: Int32, message: String)? {
    guard case .errorResponse(let error) = response.messageResponse else { return nil }
    return (error.errorCode, error.errorMessage)
}

func sha256Hex(_ bytes: [UInt8]) -> String {
    hexString(SHA256.hash(bytes))
}
