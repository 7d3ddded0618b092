import Glibc

/// Turns Nagle's algorithm off on the embedded brokers' listening sockets, as a Kafka
/// broker does on every connection (`setTcpNoDelay(true)` in its socket server).
///
/// librdkafka's mock cluster leaves Nagle on. A client pipelines several requests on one
/// connection (a producer's per-partition `Produce` requests), so the mock writes several
/// small responses back to back; with Nagle on, each response after the first waits for the
/// client's delayed ACK (40 ms on Linux). A transaction commit waits for every outstanding
/// response, so every commit paid ~40 ms on the mock where a real broker answers in well under
/// a millisecond. Linux copies `TCP_NODELAY` from a listening socket to the connections it
/// accepts, so setting it on the listeners before any client connects covers every connection.
package enum BrokerListenerSockets {
    /// Sets `TCP_NODELAY` on this process's listening TCP sockets bound to one of `ports`.
    ///
    /// - Returns: How many listening sockets were changed.
    @discardableResult
    static func disableNagle(ports: Set<UInt16>) -> Int {
        var changed = 0
        for fd in listeners(ports: ports) {
            var on: Int32 = 1
            if setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size)) == 0 {
                changed += 1
            }
        }
        return changed
    }

    /// This process's listening TCP sockets bound to one of `ports`.
    package static func listeners(ports: Set<UInt16>) -> [Int32] {
        openDescriptors().filter { isListeningTCPSocket($0) && ports.contains(localPort($0) ?? 0) }
    }

    /// Whether `TCP_NODELAY` is set on socket `fd`.
    package static func isNagleDisabled(_ fd: Int32) -> Bool {
        integerOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY) ?? 0 != 0
    }

    /// The ports of a `host:port[,host:port…]` bootstrap list.
    package static func ports(ofBootstrapServers servers: String) -> Set<UInt16> {
        Set(servers.split(separator: ",").compactMap { server in
            server.split(separator: ":").last.flatMap { UInt16($0) }
        })
    }

    private static func openDescriptors() -> [Int32] {
        guard let directory = opendir("/proc/self/fd") else { return Array(0..<Int32(min(getdtablesize(), 4_096))) }
        defer { closedir(directory) }
        var descriptors: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let fd = Int32(name) { descriptors.append(fd) }
        }
        return descriptors
    }

    private static func isListeningTCPSocket(_ fd: Int32) -> Bool {
        integerOption(fd, SOL_SOCKET, SO_TYPE) == Int32(SOCK_STREAM.rawValue)
            && integerOption(fd, SOL_SOCKET, SO_ACCEPTCONN) == 1
    }

    private static func integerOption(_ fd: Int32, _ level: Int32, _ option: Int32) -> Int32? {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, level, option, &value, &length) == 0 ? value : nil
    }

    private static func localPort(_ fd: Int32) -> UInt16? {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { return nil }
        switch Int32(address.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) } }
        case AF_INET6:
            return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) } }
        default:
            return nil
        }
    }
}
