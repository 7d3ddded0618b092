import Flowstate

/// One application instance (pod) of a simulation: a process, its state directory (RocksDB
/// included), its clients and its driven stream thread.
final class SimulatedInstance {
    enum Status: String {
        case running, crashed, stopped, failed
    }

    let number: Int
    let instanceID: String
    private(set) var stateDirectory: String
    private(set) var process: SimulatedProcess
    private(set) var driver: StreamThreadDriver?
    private(set) var status = Status.stopped
    let faults: SimulatedFaults
    private var incarnation = 0

    init(number: Int, root: String, faults: SimulatedFaults) {
        self.number = number
        instanceID = "pod-\(number)"
        stateDirectory = "\(root)/pod-\(number)-0"
        process = SimulatedProcess(instance: number)
        self.faults = faults
    }

    /// The group instance id and transactional id of the instance's (single) stream thread.
    func threadIDs(applicationID: String) -> (groupInstanceID: String, transactionalID: String) {
        ("\(instanceID)-0", "\(applicationID)-\(instanceID)-0")
    }

    func config(_ scenario: any SimulationScenario, sessionTimeout: Int64) -> FlowstateConfig {
        var config = FlowstateConfig(applicationID: scenario.applicationID, bootstrapServers: ["simulated:9092"])
        config.stateDirectory = stateDirectory
        config.instanceID = instanceID
        config.commitInterval = .milliseconds(100)
        config.maxPollRecords = 16
        config.sessionTimeout = .milliseconds(sessionTimeout)
        return config
    }

    /// Starts a new process on the old or a fresh state directory and connects its thread.
    ///
    /// - Throws: What connecting throws.
    func start(_ scenario: any SimulationScenario, topology: Topology, kafka: SimulatedKafka, partitionCounts: [String: Int],
               root: String, freshState: Bool) throws {
        incarnation += 1
        if freshState { stateDirectory = "\(root)/pod-\(number)-\(incarnation)" }
        process = SimulatedProcess(instance: number)
        faults.reset(process: process)
        let clock = kafka.clock
        let driver = StreamThreadDriver(
            topology: topology, config: config(scenario, sessionTimeout: kafka.sessionTimeout),
            clients: SimulatedClients(kafka: kafka, process: process), partitionCounts: partitionCounts,
            wallClock: { clock.wallClock }, monotonicClock: { .milliseconds(clock.now) }, faults: faults,
            callExecutor: SimulatedCallExecutor(kafka: kafka))
        self.driver = driver
        status = .running
        try driver.connect()
    }

    /// The process died: its local state stays on disk as it was, nothing else happens.
    func crashed() {
        process.status = .crashed
        driver?.abandon()
        driver = nil
        status = .crashed
    }

    /// The thread failed with an error it does not handle: it does what production does
    /// (abort, close without committing) and the instance waits for a restart.
    func failed(_ error: any Error) {
        driver?.fail(error)
        driver = nil
        status = .failed
    }

    /// Graceful stop.
    ///
    /// - Throws: What the final commit or closing throws; the driver stays, for the caller to
    ///   crash or fail the instance (a crash in the middle of stopping must still release its
    ///   local state, as the dying process would).
    func stop() throws {
        try driver?.shutdown()
        driver = nil
        status = .stopped
    }
}

/// The fault injector of one instance: armed faults fire at the chosen occurrence of a point.
final class SimulatedFaults: FaultInjector {
    struct Armed {
        var point: FaultPoint
        var remaining: Int
        var fault: SimulationFault
    }

    let instance: Int
    private var armed: [Armed] = []
    private var process: SimulatedProcess?
    /// Runs the rest of the world while this instance is paused (set by the run).
    var pause: (Int, Int64) -> Void = { _, _ in }
    /// Crashes injected, by point.
    private(set) var crashes: [FaultPoint: Int] = [:]
    /// Pauses injected, by point.
    private(set) var pauses: [FaultPoint: Int] = [:]
    /// Whether faults fire (off while the world settles at the end).
    var isEnabled = true

    init(instance: Int) { self.instance = instance }

    func reset(process: SimulatedProcess) {
        self.process = process
        armed = []
    }

    func arm(_ point: FaultPoint, occurrence: Int, fault: SimulationFault) {
        armed.append(Armed(point: point, remaining: occurrence, fault: fault))
    }

    func reach(_ point: FaultPoint) throws {
        guard isEnabled, let index = armed.firstIndex(where: { $0.point == point }) else { return }
        armed[index].remaining -= 1
        guard armed[index].remaining <= 0 else { return }
        let fault = armed.remove(at: index).fault
        switch fault {
        case .crash:
            crashes[point, default: 0] += 1
            process?.status = .crashed
            throw SimulatedCrash(instance: instance, point: point.rawValue)
        case .pause(let milliseconds):
            pauses[point, default: 0] += 1
            pause(instance, milliseconds)
        }
    }
}
