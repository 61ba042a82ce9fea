import Protobuf

/// gRPC health checking, `grpc.health.v1.Health` (gRPC doc "Health Checking Protocol"),
/// transport-neutral.
///
/// `Check` answers SERVING for the server as a whole (the empty name) and for every served service
/// while the server is ready, NOT_SERVING while it starts or drains, and NOT_FOUND for a name it
/// does not serve. `Watch` is not implemented (`watchStatus`); health clients then poll `Check`.
/// Readiness is the caller's, read on every check; a door should not refuse health checks while
/// the server is not ready, since answering NOT_SERVING then is their purpose.
public final class HealthService: Sendable {
    /// The health service's full name.
    public static let serviceName = "grpc.health.v1.Health"
    /// The unary method.
    public static let checkPath = "/grpc.health.v1.Health/Check"
    /// The server-streaming method, answered with `watchStatus`.
    public static let watchPath = "/grpc.health.v1.Health/Watch"
    /// The answer to every `Watch` call.
    public static let watchStatus = RPCStatus(.unimplemented, "UNIMPLEMENTED: \(serviceName)/Watch is not implemented; poll Check")

    let serviceNames: Set<String>
    let isReady: @Sendable () -> Bool

    /// Reports on `serviceNames` (and the empty name), SERVING whenever `isReady` says so.
    public init(serviceNames: [String] = ServedServices.names, isReady: @escaping @Sendable () -> Bool) {
        self.serviceNames = Set(serviceNames)
        self.isReady = isReady
    }

    /// The status of the service the request names; NOT_FOUND for a service this server does not serve.
    public func check(_ request: GRPCHealthV1.HealthCheckRequest) throws(RPCStatus) -> GRPCHealthV1.HealthCheckResponse {
        guard request.service.isEmpty || serviceNames.contains(request.service) else {
            throw RPCStatus(.notFound, "NOT_FOUND: this server does not serve \(request.service)")
        }
        return GRPCHealthV1.HealthCheckResponse(status: isReady() ? .serving : .notServing)
    }

    /// `check` on a request in the binary encoding, answered in the binary encoding; throws
    /// INVALID_ARGUMENT for bytes that are not a request.
    public func check(message bytes: UnsafeRawBufferPointer, limits: ProtoLimits = .default) throws(RPCStatus) -> [UInt8] {
        try check(RPCPayload.proto(bytes).decode(GRPCHealthV1.HealthCheckRequest.self, limits: limits)).serializedBytes()
    }

    /// `Check` as an `RPCMethod`, for a door that routes methods by path (binary or JSON requests).
    public func checkMethod(limits: ProtoLimits = .default) -> RPCMethod {
        let canonicalName = Self.checkPath
        return RPCMethod(
            serviceName: Self.serviceName, name: "Check", canonicalName: canonicalName,
            call: { [self] payload, _ throws(RPCStatus) in
                .message(try check(payload.decode(GRPCHealthV1.HealthCheckRequest.self, limits: limits)).serializedBytes())
            },
            responseJSON: { bytes throws(ProtoError) in try GRPCHealthV1.HealthCheckResponse(serializedBytes: bytes).jsonBytes() })
    }
}
