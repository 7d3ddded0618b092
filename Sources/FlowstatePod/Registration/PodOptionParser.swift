import ArgumentParser

/// Reads a registration's options from `run`'s remaining arguments (`--flag value` or
/// `--flag=value`) and their environment variables (flag wins), and says what is wrong with
/// anything else, naming the flag.
struct PodOptionParser {
    let registration: PodRegistration
    /// Every registration, to say which topologies a flag meant for another one applies to.
    let others: [PodRegistration]

    func values(arguments: [String], environment: [String: String]) throws -> PodOptionValues {
        var given: [String: String] = [:]
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("--") else {
                throw ValidationError("unexpected argument '\(argument)' after the topology \(registration.name)")
            }
            var flag = String(argument.dropFirst(2))
            let value: String
            if let equals = flag.firstIndex(of: "=") {
                value = String(flag[flag.index(after: equals)...])
                flag = String(flag[..<equals])
            } else {
                guard index + 1 < arguments.count else { throw ValidationError("--\(flag): a value is required") }
                index += 1
                value = arguments[index]
            }
            guard registration.options.contains(where: { $0.flag == flag }) else { throw misplaced(flag) }
            given[flag] = value
            index += 1
        }
        // Environment variables stand in for flags; one meant for another topology is ignored
        // (a pod's environment may be shared), a flag is not.
        var values: [String: String] = [:]
        for option in registration.options {
            guard let text = setting(given[option.flag], option.environmentVariable, environment: environment) else { continue }
            if let problem = option.check(text) { throw ValidationError("--\(option.flag): \(problem)") }
            values[option.flag] = text
        }
        return PodOptionValues(values)
    }

    private func misplaced(_ flag: String) -> ValidationError {
        let owners = others.filter { $0.options.contains { $0.flag == flag } }.map(\.name)
        guard !owners.isEmpty else {
            let own = registration.options.map { "--\($0.flag)" }
            return ValidationError("unknown option --\(flag) for \(registration.name)"
                                   + (own.isEmpty ? "" : "; its options: \(own.joined(separator: ", "))"))
        }
        let list = owners.count == 1 ? "the \(owners[0]) topology" : "the \(owners.dropLast().joined(separator: ", ")) and \(owners.last!) topologies"
        return ValidationError("--\(flag) applies to \(list) only, not \(registration.name)")
    }
}
