import Kafka

/// How one attempt to hand an event to one cluster ended.
enum DeliveryOutcome: Sendable {
    /// The cluster stored the record (`acks=all`) before the deadline.
    case acknowledged
    /// librdkafka refused or failed the record before the deadline.
    case failed(KafkaError)
    /// No answer before the deadline. The record may still be delivered later: a duplicate the
    /// consumers absorb by order id, never a loss.
    case timedOut

    var isAcknowledged: Bool {
        if case .acknowledged = self { return true }
        return false
    }
}

/// Something with a deadline that ``DeadlineScheduler`` ends when the deadline passes.
protocol Expirable: AnyObject, Sendable {
    /// Called once the deadline has passed; a no-op when the work already finished.
    func expire()
}
