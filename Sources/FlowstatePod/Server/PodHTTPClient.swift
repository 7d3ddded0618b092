import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The tiny HTTP client pods use to forward interactive queries to each other: one GET.
struct PodHTTPClient: Sendable {
    /// A response: status, body and the answering pod (`x-flowstate-pod`).
    struct Response: Sendable {
        var status: Int
        var body: [UInt8]
        var contentType: String?
        var pod: String?
    }

    /// How long a forwarded request may take.
    var timeout: Duration = .seconds(5)

    /// Sends `GET http://<address><path>`.
    ///
    /// - Throws: `URLError` when the pod cannot be reached or does not answer in time.
    func get(address: String, path: String) async throws -> Response {
        guard let url = URL(string: "http://\(address)\(path)") else { throw URLError(.badURL) }
        var request = URLRequest(url: url)
        request.timeoutInterval = Double(timeout.components.seconds)
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        return Response(status: http?.statusCode ?? 502, body: Array(data),
                        contentType: http?.value(forHTTPHeaderField: "Content-Type"),
                        pod: http?.value(forHTTPHeaderField: PodHTTPServer.podHeader))
    }
}
