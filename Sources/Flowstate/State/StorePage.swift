/// A request for one page of a store's entries, in the store's key order.
///
/// Pages are bounded: a page holds at most ``limit`` entries, and a filtered page examines at
/// most ``scanBudget`` entries per task, so a page may come back short (even empty) with a
/// cursor to go on from. Follow ``StorePage/next`` until it is `nil`.
public struct StorePageRequest: Sendable, Hashable {
    /// Only keys starting with this text (as the store encodes it). Default: none.
    public var prefix: String?
    /// Only keys from this one on (inclusive). Default: none.
    public var from: String?
    /// Only keys before this one (exclusive). Default: none.
    public var to: String?
    /// The cursor: only keys after this one (exclusive) — the ``StorePage/next`` of the page before.
    public var after: String?
    /// Most entries in the page. Default: 50; at most 1,000.
    public var limit: Int
    /// Only values whose top-level JSON field `field` is the string (or number, or bool) `value`
    /// — a state machine's entities in one status, for example. Default: none.
    public var match: StoreValueMatch?
    /// Most entries one task examines for a filtered page. Default: 10,000.
    public var scanBudget: Int

    /// Creates a request.
    public init(prefix: String? = nil, from: String? = nil, to: String? = nil, after: String? = nil, limit: Int = 50,
                match: StoreValueMatch? = nil, scanBudget: Int = 10_000) {
        self.prefix = prefix
        self.from = from
        self.to = to
        self.after = after
        self.limit = limit
        self.match = match
        self.scanBudget = scanBudget
    }

    /// The largest ``limit`` accepted.
    public static let maximumLimit = 1_000
}

/// A filter on a stored value's JSON: its top-level field `field` equals `value`.
public struct StoreValueMatch: Sendable, Hashable {
    /// The field's name.
    public var field: String
    /// The value, as text.
    public var value: String

    /// Creates a filter.
    public init(field: String, value: String) {
        self.field = field
        self.value = value
    }
}

/// One entry of a page: the key as query text and the value as JSON.
public struct StoreEntry: Sendable, Hashable {
    /// The key, as a query names it.
    public var key: String
    /// The committed value, as JSON.
    public var json: [UInt8]

    /// Creates an entry.
    public init(key: String, json: [UInt8]) {
        self.key = key
        self.json = json
    }
}

/// A page of a store's entries (from the committed state of the tasks that answered).
public struct StorePage: Sendable, Hashable {
    /// The entries, in key order.
    public var entries: [StoreEntry]
    /// The cursor for the next page (``StorePageRequest/after``); `nil` when nothing follows.
    public var next: String?

    /// Creates a page.
    public init(entries: [StoreEntry], next: String?) {
        self.entries = entries
        self.next = next
    }
}

/// A page in key bytes, as a task (or a pod) answers it, and the merge of several.
package struct StoreBytePage: Sendable {
    /// An entry with its key bytes, for ordering.
    package struct Entry: Sendable {
        package var key: [UInt8]
        package var entry: StoreEntry
        package init(key: [UInt8], entry: StoreEntry) {
            self.key = key
            self.entry = entry
        }
    }

    /// The entries, in key order.
    package var entries: [Entry]
    /// When more may follow: the last key examined — every key up to it was considered.
    package var scannedTo: [UInt8]?

    package init(entries: [Entry], scannedTo: [UInt8]?) {
        self.entries = entries
        self.scannedTo = scannedTo
    }

    /// Merges pages of disjoint key sets (tasks, pods) into one page of at most `limit` entries.
    ///
    /// A page that may have more stopped at its `scannedTo`; keys past the smallest such point
    /// are unknown for that page, so the merge keeps only entries up to it and continues from
    /// there next time. Entries are never skipped: each lies at or before the merged cursor.
    package static func merge(_ pages: [StoreBytePage], limit: Int) -> StoreBytePage {
        let precedes: ([UInt8], [UInt8]) -> Bool = { $0.lexicographicallyPrecedes($1) }
        let cutoff = pages.compactMap(\.scannedTo).min(by: precedes)
        var entries = pages.flatMap(\.entries).sorted { precedes($0.key, $1.key) }
        if let cutoff { entries.removeAll { precedes(cutoff, $0.key) } }
        if entries.count > limit {
            entries.removeLast(entries.count - limit)
            return StoreBytePage(entries: entries, scannedTo: entries.last?.key)
        }
        return StoreBytePage(entries: entries, scannedTo: cutoff)
    }
}
