import Protobuf

/// gRPC server reflection, `grpc.reflection.v1` and `grpc.reflection.v1alpha` (gRPC doc "GRPC
/// Server Reflection Protocol"), transport-neutral: the door reads each message of the
/// `ServerReflectionInfo` stream, calls `respond`, and writes the one response it returns, in order.
///
/// The answers come from a serialized `FileDescriptorSet` (the compiled contract,
/// `DescriptorSet.bytes`): files are served as the exact bytes the set stores, each with every
/// file it imports, so a client can build the descriptors without any local .proto file.
/// Immutable once made, so `respond` runs on any thread.
public final class ReflectionService: Sendable {
    /// The two reflection services, by full name.
    public static let serviceNames = ["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]
    /// The v1 method, bidirectional streaming: one response per request.
    public static let infoPath = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
    /// The same method in v1alpha, which older clients call; its messages are the same on the wire.
    public static let infoPathV1Alpha = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"

    let index: DescriptorIndex
    /// What list_services answers, in this order.
    let listedServiceNames: [String]

    /// Serves the files of `descriptorSet` and lists `serviceNames`, each of which the set must
    /// declare (so that a client can describe every service it is shown). The set must declare
    /// no extensions: extension questions are answered as if there were none.
    public init(serviceNames: [String] = ServedServices.names, descriptorSet: [UInt8] = DescriptorSet.bytes) {
        let index: DescriptorIndex
        do throws(ProtoError) {
            index = try DescriptorIndex(serializedSet: descriptorSet)
        } catch {
            preconditionFailure("the descriptor set does not index: \(error.message)")
        }
        for name in serviceNames {
            precondition(index.symbol(named: name)?.kind == .service, "\(name) is not a service of the descriptor set")
        }
        precondition(index.extensionCount == 0, "the descriptor set declares extensions, which reflection does not index")
        self.index = index
        listedServiceNames = serviceNames
    }

    /// The answer to one request: `valid_host` and `original_request` echo the request, and
    /// exactly one of `message_response` is set. A question without an answer (an unknown file
    /// or symbol) gets an `error_response` rather than ending the stream.
    public func respond<Package>(to request: GRPCReflection.ServerReflectionRequest<Package>) -> GRPCReflection.ServerReflectionResponse<Package> {
        var response = GRPCReflection.ServerReflectionResponse<Package>()
        response.validHost = request.host
        response.originalRequest = request
        response.messageResponse = answer(request.messageRequest)
        return response
    }

    /// One message of the stream in the binary encoding, answered in the binary encoding.
    /// `package` only names the messages in errors: both packages' messages are the same on the wire.
    /// Throws INVALID_ARGUMENT for bytes that are not a request, which ends the stream.
    public func respond<Package: GRPCReflectionPackage>(
        toMessage bytes: UnsafeRawBufferPointer, in package: Package.Type = GRPCReflectionV1.self, limits: ProtoLimits = .default
    ) throws(RPCStatus) -> [UInt8] {
        let request = try RPCPayload.proto(bytes).decode(GRPCReflection.ServerReflectionRequest<Package>.self, limits: limits)
        return respond(to: request).serializedBytes()
    }

    private func answer<Package>(
        _ question: GRPCReflection.ServerReflectionRequest<Package>.MessageRequest?
    ) -> GRPCReflection.ServerReflectionResponse<Package>.MessageResponse {
        switch question {
        case .fileByFilename(let name):
            guard let file = index.file(named: name) else { return Self.error(.notFound, "file not found: \(name)") }
            return files(from: file)
        case .fileContainingSymbol(let name):
            guard let symbol = index.symbol(named: name) else { return Self.error(.notFound, "symbol not found: \(name)") }
            return files(from: symbol.file)
        case .fileContainingExtension(let request):
            return Self.error(.notFound, "extension not found: \(request.containingType) has no extension \(request.extensionNumber)")
        case .allExtensionNumbersOfType(let name):
            // A known message type has no extension numbers (the set declares no extensions):
            // an empty list, as protobuf's own servers answer, so clients do not take it as an error.
            guard index.symbol(named: name)?.kind == .message else { return Self.error(.notFound, "message type not found: \(name)") }
            var numbers = GRPCReflection.ExtensionNumberResponse<Package>()
            numbers.baseTypeName = name
            return .allExtensionNumbersResponse(numbers)
        case .listServices:
            var list = GRPCReflection.ListServiceResponse<Package>()
            list.service = listedServiceNames.map { GRPCReflection.ServiceResponse(name: $0) }
            return .listServicesResponse(list)
        case nil:
            // An empty request, or one asking something newer than this protocol version (its
            // field is unknown here); gRPC's C++ server answers both the same way.
            return Self.error(.unimplemented, "the request asks nothing this server knows")
        }
    }

    /// The file at `file` in the index and every file it imports, the requested one first.
    private func files<Package>(from file: Int) -> GRPCReflection.ServerReflectionResponse<Package>.MessageResponse {
        var response = GRPCReflection.FileDescriptorResponse<Package>()
        response.fileDescriptorProto = index.fileWithDependencies(file).map { index.files[$0].bytes }
        return .fileDescriptorResponse(response)
    }

    private static func error<Package>(_ code: RPCCode, _ message: String) -> GRPCReflection.ServerReflectionResponse<Package>.MessageResponse {
        .errorResponse(GRPCReflection.ErrorResponse(errorCode: code.rawValue, errorMessage: message))
    }
}
