/// A setting of one registered topology (such as the statement lifecycle's auto-approval
/// limit): a `run` flag and its environment variable, one-to-one like the pod's own settings.
///
/// ```swift
/// let limit = PodOption.integer("auto-approval-limit", environment: "FLOWSTATE_AUTO_APPROVAL_LIMIT",
///                               help: "approve amounts up to this without a person", range: 0...Int.max)
/// ```
public struct PodOption: Sendable {
    /// The flag without its dashes (`auto-approval-limit`).
    public let flag: String
    /// The environment variable that stands in for the flag (`FLOWSTATE_AUTO_APPROVAL_LIMIT`).
    public let environmentVariable: String
    /// One line for `--help`.
    public let help: String
    /// Checks a value; returns what is wrong with it, or `nil`.
    let check: @Sendable (String) -> String?

    /// An option whose value `check` validates (returning what is wrong, or `nil`).
    public init(_ flag: String, environment: String, help: String, check: @escaping @Sendable (String) -> String? = { _ in nil }) {
        self.flag = flag
        environmentVariable = environment
        self.help = help
        self.check = check
    }

    /// A whole number within `range`.
    public static func integer(_ flag: String, environment: String, help: String,
                               range: ClosedRange<Int> = Int.min...Int.max) -> PodOption {
        PodOption(flag, environment: environment, help: help) { text in
            guard let value = Int(text), range.contains(value) else {
                return "'\(text)' is not a whole number" + (range.lowerBound == 0 ? " ≥ 0" : " in \(range)")
            }
            return nil
        }
    }

    /// A non-negative number of milliseconds, read as a `Duration` with ``PodOptionValues/duration(_:)``.
    public static func milliseconds(_ flag: String, environment: String, help: String) -> PodOption {
        PodOption(flag, environment: environment, help: help) { text in
            guard let value = Int(text), value >= 0 else { return "'\(text)' is not a non-negative number of milliseconds" }
            return nil
        }
    }
}

/// The values of a registration's options given to a pod (by flag or environment variable),
/// already checked.
public struct PodOptionValues: Sendable, Hashable {
    /// The raw values by flag name (without dashes).
    public let values: [String: String]

    /// Values by flag name.
    public init(_ values: [String: String] = [:]) { self.values = values }

    /// The text of `flag`, if given.
    public subscript(_ flag: String) -> String? { values[flag] }

    /// The whole number of `flag`, if given.
    public func integer(_ flag: String) -> Int? { values[flag].flatMap { Int($0) } }

    /// The milliseconds of `flag` as a duration, if given.
    public func duration(_ flag: String) -> Duration? { integer(flag).map { .milliseconds($0) } }
}
