import Flowstate
import Foundation

/// Answers `GET /stores/<store>?…`: one page of a store's entries across every pod, gathered
/// from each pod's own tasks and merged in key order (scatter-gather).
///
/// The asking pod reads its own tasks and asks every other pod the directory knows, at once,
/// for the same page of *its* tasks (`forwarded=true`: never asked further). Each answer is at
/// most `limit` entries and says where it stopped; the merge keeps the first `limit` entries
/// up to the earliest such point, so following `next` walks every entry once. A pod that does
/// not answer is named in `missing` (its partitions' entries are absent from the page);
/// `complete` is `false` then.
///
/// Query parameters: `prefix`, `from` (inclusive), `to` (exclusive), `after` (the cursor:
/// the `next` of the page before), `limit` (1…1000, default 50), `field` and `equals` (only
/// values whose top-level JSON field is that value, e.g. `field=status&equals=closed`).
struct StoreListing: Sendable {
    let application: FlowstateApplication
    let directory: PodDirectory?
    let instanceID: String
    var client = PodHTTPClient()

    /// The request a query's parameters describe.
    static func request(_ parameters: [String: String]) throws(FlowstateError) -> StorePageRequest {
        var request = StorePageRequest(prefix: parameters["prefix"], from: parameters["from"], to: parameters["to"],
                                       after: parameters["after"])
        if let limit = parameters["limit"] {
            guard let value = Int(limit) else { throw FlowstateError(.serialization, "limit '\(limit)' is not a number") }
            request.limit = value
        }
        switch (parameters["field"], parameters["equals"]) {
        case (let field?, let value?): request.match = StoreValueMatch(field: field, value: value)
        case (nil, nil): break
        default: throw FlowstateError(.serialization, "give both field and equals, or neither")
        }
        return request
    }

    /// The query string of `request` (for asking another pod).
    static func query(_ request: StorePageRequest, forwarded: Bool) -> String {
        var items: [URLQueryItem] = []
        func add(_ name: String, _ value: String?) { if let value { items.append(URLQueryItem(name: name, value: value)) } }
        add("prefix", request.prefix)
        add("from", request.from)
        add("to", request.to)
        add("after", request.after)
        add("limit", String(request.limit))
        add("field", request.match?.field)
        add("equals", request.match?.value)
        if forwarded { add("forwarded", "true") }
        var components = URLComponents()
        components.queryItems = items
        return components.percentEncodedQuery ?? ""
    }

    /// One pod's page, read from its answer.
    private struct PodPage {
        var page: StoreBytePage
    }

    /// Answers a listing; `forwarded` requests read only this pod's tasks.
    func answer(store: String, parameters: [String: String], forwarded: Bool) async -> InteractiveQueries.Answer {
        let request: StorePageRequest
        let local: StoreBytePage
        do {
            request = try Self.request(parameters)
            local = try await application.queryStoreBytePage(name: store, request: request)
        } catch {
            return Self.error(error.setting == "store" ? 404 : error.code == .serialization ? 400 : 503, error.message, store: store)
        }
        var pages = [local]
        var answered = [instanceID]
        var missing: [String] = []
        if !forwarded, let directory {
            let others = directory.pods.filter { $0.instanceID != instanceID }
            let path = "/stores/\(store.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? store)?"
                + Self.query(request, forwarded: true)
            let results = await withTaskGroup(of: (String, StoreBytePage?).self) { group in
                for pod in others {
                    group.addTask {
                        guard let response = try? await client.get(address: pod.advertisedAddress, path: path),
                              response.status == 200 else { return (pod.instanceID, nil) }
                        return (pod.instanceID, self.page(from: response.body, store: store))
                    }
                }
                var results: [(String, StoreBytePage?)] = []
                for await result in group { results.append(result) }
                return results
            }
            for (pod, page) in results.sorted(by: { $0.0 < $1.0 }) {
                if let page {
                    pages.append(page)
                    answered.append(pod)
                } else {
                    missing.append(pod)
                }
            }
        }
        let merged = StoreBytePage.merge(pages, limit: request.limit)
        return render(merged, store: store, answered: answered, missing: missing)
    }

    /// A page from another pod's JSON answer (keys re-encoded to order them).
    private func page(from body: [UInt8], store: String) -> StoreBytePage? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let entries = object["entries"] as? [[String: Any]] else { return nil }
        var page = StoreBytePage(entries: [], scannedTo: nil)
        for entry in entries {
            guard let key = entry["key"] as? String, let value = entry["value"],
                  let json = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]),
                  let bytes = try? application.storeKeyBytes(store: store, text: key) else { return nil }
            page.entries.append(StoreBytePage.Entry(key: bytes, entry: StoreEntry(key: key, json: Array(json))))
        }
        if let next = object["next"] as? String {
            guard let bytes = try? application.storeKeyBytes(store: store, text: next) else { return nil }
            page.scannedTo = bytes
        }
        return page
    }

    private func render(_ page: StoreBytePage, store: String, answered: [String], missing: [String]) -> InteractiveQueries.Answer {
        let quote = { (text: String) in String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self) }
        var body = #"{"store":\#(quote(store)),"entries":["#
        for (index, entry) in page.entries.enumerated() {
            if index > 0 { body += "," }
            body += #"{"key":\#(quote(entry.entry.key)),"value":\#(String(decoding: entry.entry.json, as: UTF8.self))}"#
        }
        let next = page.scannedTo.flatMap { try? application.storeKeyText(store: store, bytes: $0) }
        body += "],\"next\":\(next.map(quote) ?? "null")"
        body += ",\"pods\":[\(answered.map(quote).joined(separator: ","))]"
        body += ",\"missing\":[\(missing.map(quote).joined(separator: ","))],\"complete\":\(missing.isEmpty)}"
        return InteractiveQueries.Answer(status: 200, body: Array(body.utf8), pod: instanceID)
    }

    private static func error(_ status: Int, _ message: String, store: String) -> InteractiveQueries.Answer {
        let body = (try? JSONEncoder().encode(["error": message, "store": store])) ?? Data("{}".utf8)
        return InteractiveQueries.Answer(status: status, body: Array(body))
    }
}
