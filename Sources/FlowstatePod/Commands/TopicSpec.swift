import ArgumentParser

/// A `NAME:PARTITIONS` command-line value, e.g. `orders:4`.
struct TopicSpec: ExpressibleByArgument, Equatable {
    var name: String
    var partitions: Int

    init(name: String, partitions: Int) {
        self.name = name
        self.partitions = partitions
    }

    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, let count = Int(parts[1]), count >= 1 else { return nil }
        self.init(name: String(parts[0]), partitions: count)
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
