import CLinux
import Glibc

/// A thin wrapper over one epoll instance, owned by one loop thread.
///
/// Registrations are level-triggered: a loop reads once per readiness event and is told again
/// if bytes remain, so one busy connection cannot monopolise a wake-up.
struct Epoll {
    let fd: Int32
    private let events: UnsafeMutableRawPointer
    let capacity: Int
    private let eventSize: Int

    static let readable = UInt32(EPOLLIN.rawValue) | UInt32(EPOLLRDHUP.rawValue)
    static let writable = UInt32(EPOLLOUT.rawValue)
    static let hangup = UInt32(EPOLLHUP.rawValue) | UInt32(EPOLLERR.rawValue)

    init(capacity: Int) throws(SocketError) {
        let fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard fd >= 0 else { throw SocketError(call: "epoll_create1", errno: errno) }
        self.fd = fd
        self.capacity = capacity
        self.eventSize = clinux_epoll_event_size()
        self.events = UnsafeMutableRawPointer.allocate(byteCount: capacity * eventSize, alignment: 8)
    }

    func close() {
        Glibc.close(fd)
        events.deallocate()
    }

    @discardableResult
    func add(_ target: Int32, events interest: UInt32, data: UInt64) -> Bool {
        control(EPOLL_CTL_ADD, target, interest, data)
    }

    @discardableResult
    func modify(_ target: Int32, events interest: UInt32, data: UInt64) -> Bool {
        control(EPOLL_CTL_MOD, target, interest, data)
    }

    @discardableResult
    func remove(_ target: Int32) -> Bool {
        control(EPOLL_CTL_DEL, target, 0, 0)
    }

    private func control(_ operation: Int32, _ target: Int32, _ interest: UInt32, _ data: UInt64) -> Bool {
        var event = epoll_event()
        clinux_epoll_event_set(&event, interest, data)
        return epoll_ctl(fd, operation, target, &event) == 0
    }

    /// Waits for readiness; returns the number of events (0 on timeout or EINTR).
    func wait(timeoutMilliseconds: Int32) -> Int {
        let count = epoll_wait(fd, events.assumingMemoryBound(to: epoll_event.self), Int32(capacity), timeoutMilliseconds)
        return count < 0 ? 0 : Int(count)
    }

    func event(at index: Int) -> (events: UInt32, data: UInt64) {
        let pointer = (events + index * eventSize).assumingMemoryBound(to: epoll_event.self)
        return (clinux_epoll_event_events(pointer), clinux_epoll_event_data(pointer))
    }
}
