import ArgumentParser
import Saga
import Synchronization

/// The registrations of the running executable, read by the pod's commands (which
/// ArgumentParser creates as types, before any instance could be handed them).
package enum PodCatalog {
    private static let current = Mutex<(executable: String, registrations: [PodRegistration])>(("flowstate", []))

    /// Installs the executable's name and registrations; call once, before parsing.
    package static func install(executable: String, registrations: [PodRegistration]) {
        current.withLock { $0 = (executable, registrations) }
    }

    /// The executable's name, for help and messages.
    package static var executable: String { current.withLock { $0.executable } }

    /// Every registration, in the order given.
    package static var registrations: [PodRegistration] { current.withLock { $0.registrations } }

    /// Registered names, for messages.
    package static var names: [String] { registrations.map(\.name) }

    /// The registration named `name`, or an error naming the known ones.
    package static func registration(named name: String) throws -> PodRegistration {
        guard let registration = registrations.first(where: { $0.name == name }) else {
            throw ValidationError("unknown topology '\(name)'; choose one of: \(names.joined(separator: ", "))")
        }
        return registration
    }

    /// The registered state machine named `name`, or an error naming the known ones.
    static func machine(named name: String) throws -> RegisteredMachine {
        let machines = registrations.compactMap(\.machine)
        guard let machine = machines.first(where: { $0.name == name }) else {
            throw ValidationError("unknown state machine '\(name)'; known: \(machines.map(\.name).joined(separator: ", "))")
        }
        return machine
    }

    /// The registered saga named `name`, or an error naming the known ones.
    static func saga(named name: String) throws -> SagaDefinition {
        let sagas = registrations.compactMap(\.saga)
        guard let saga = sagas.first(where: { $0.name == name }) else {
            throw ValidationError("unknown saga '\(name)'; known: \(sagas.map(\.name).joined(separator: ", "))")
        }
        return saga
    }
}
