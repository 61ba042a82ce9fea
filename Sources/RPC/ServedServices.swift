/// The services the RPC interface serves, by full name: what reflection lists and what health
/// checks know.
public enum ServedServices {
    /// Both names of the reservation service, health, and both reflection packages.
    public static let names = ReservationRPC.serviceNames + [HealthService.serviceName] + ReflectionService.serviceNames
}
