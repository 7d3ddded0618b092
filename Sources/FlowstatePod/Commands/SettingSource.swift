import Foundation

/// A setting's value: the flag when given, else its environment variable when set and not
/// empty — the one rule every command's flags follow.
package func setting(_ flag: String?, _ variable: String,
             environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
    flag ?? environment[variable].flatMap { $0.isEmpty ? nil : $0 }
}
