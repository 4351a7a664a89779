import Control
import Operations
import Store

extension MetricsRecorder.Settings {
    /// The intervals and keep times the configuration file sets.
    public init(_ configuration: Configuration) {
        self.init()
        ipcSocketPath = "\(configuration.runtimeDirectory)/ipc.sock"
        sampleInterval = configuration.metricsSampleInterval
        retention = .init(all: configuration.metricsRetention)
        logRetention = configuration.logRetention
        maxDatabaseBytes = configuration.maxDatabaseBytes
    }
}
