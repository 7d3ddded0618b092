import Flowstate
import Foundation

/// Answers `GET /stores/<store>/<key>`: from the local store when this pod hosts the key's
/// task, otherwise by forwarding to the pod that does (found through the ``PodDirectory``),
/// and when that fails, with `307` and where the key lives.
struct InteractiveQueries: Sendable {
    /// An HTTP answer.
    struct Answer: Sendable {
        var status: Int
        var body: [UInt8]
        /// The pod whose store answered.
        var pod: String?
        /// For `307`: the owner's URL.
        var location: String?
        var contentType = "application/json"
    }

    let application: FlowstateApplication
    let directory: PodDirectory?
    let instanceID: String
    var client = PodHTTPClient()

    /// Characters kept as they are in a forwarded key.
    private static let keyCharacters = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))

    /// The query parameter that gives a key's partition key (skipping the index lookup).
    static let partitionKeyParameter = "partition-key"

    /// The path of a query, with the key percent-encoded.
    static func path(store: String, key: String, partitionKey: String? = nil, forwarded: Bool) -> String {
        let encode = { (text: String) in text.addingPercentEncoding(withAllowedCharacters: keyCharacters) ?? text }
        var parameters: [String] = []
        if let partitionKey { parameters.append("\(partitionKeyParameter)=\(encode(partitionKey))") }
        if forwarded { parameters.append("forwarded=true") }
        return "/stores/\(encode(store))/\(encode(key))" + (parameters.isEmpty ? "" : "?" + parameters.joined(separator: "&"))
    }

    /// Answers a query; `forwarded` requests (from another pod) are never forwarded again.
    ///
    /// A store that declares an index store (keyed by entity id, partitioned by another key)
    /// is located in two steps: the index is queried for the key (here or at the pod hosting
    /// it), and its value, the partition key, locates the key's task. The partition key travels
    /// with a forwarded query, so the owner does not look it up again.
    func answer(store: String, key: String, partitionKey: String? = nil, forwarded: Bool) async -> Answer {
        var partitionKey = partitionKey
        if partitionKey == nil, let index = application.partitionKeyStore(ofStore: store) {
            let lookup = await answer(store: index, key: key, forwarded: forwarded)
            guard lookup.status == 200 else {
                if lookup.status == 404 {
                    var answer = Self.json(404, ["error": "no value for this key (not in the index store \(index))",
                                                 "store": store, "key": key, "pod": lookup.pod ?? instanceID])
                    answer.pod = lookup.pod
                    return answer
                }
                return lookup
            }
            guard let value = try? JSONDecoder().decode(String.self, from: Data(lookup.body)) else {
                return Self.json(500, ["error": "the index store \(index) holds no partition key for this key",
                                       "store": store, "key": key])
            }
            partitionKey = value
        }
        let result: StoreQueryResult
        do {
            result = try await application.queryStore(name: store, key: key, partitionKey: partitionKey)
        } catch {
            let status = error.setting == "store" ? 404 : error.code == .serialization ? 400 : 503
            return Self.json(status, ["error": error.message, "store": store, "key": key])
        }
        switch result {
        case .found(let json):
            return Answer(status: 200, body: json, pod: instanceID)
        case .absent:
            var answer = Self.json(404, ["error": "no value for this key", "store": store, "key": key, "pod": instanceID])
            answer.pod = instanceID
            return answer
        case .notHosted(let location):
            return await forward(store: store, key: key, partitionKey: partitionKey, location: location, forwarded: forwarded)
        }
    }

    private func forward(store: String, key: String, partitionKey: String?, location: StoreKeyLocation, forwarded: Bool) async -> Answer {
        let details: [String: String] = ["store": store, "key": key, "partition": String(location.partition),
                                         "topics": location.sourceTopics.joined(separator: ",")]
        guard let owner = directory?.owner(ofPartition: location.partition, topics: location.sourceTopics),
              owner.instanceID != instanceID else {
            return Self.json(503, details.merging(["error": "no running pod hosts this key's partition yet (rebalancing)"]) { $1 })
        }
        let ownerDetails = details.merging(["owner": owner.instanceID, "address": owner.advertisedAddress]) { $1 }
        let location = "http://\(owner.advertisedAddress)\(Self.path(store: store, key: key, partitionKey: partitionKey, forwarded: false))"
        if !forwarded {
            do {
                let response = try await client.get(address: owner.advertisedAddress,
                                                    path: Self.path(store: store, key: key, partitionKey: partitionKey,
                                                                    forwarded: true))
                if response.status != 307 && response.status < 500 {
                    return Answer(status: response.status, body: response.body, pod: response.pod,
                                  contentType: response.contentType ?? "application/json")
                }
            } catch {
                var answer = Self.json(307, ownerDetails.merging(["error": "owned by pod \(owner.instanceID) at "
                                                                  + "\(owner.advertisedAddress), which did not answer: \(error)"]) { $1 })
                answer.location = location
                return answer
            }
        }
        var answer = Self.json(307, ownerDetails.merging(["error": "owned by pod \(owner.instanceID) at \(owner.advertisedAddress)"]) { $1 })
        answer.location = location
        return answer
    }

    private static func json(_ status: Int, _ fields: [String: String]) -> Answer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Answer(status: status, body: Array((try? encoder.encode(fields)) ?? Data("{}".utf8)))
    }
}
