"""What the notifier's domain refuses, as types."""


class NotifierError(Exception):
    """Base of every refusal raised by the notifier's domain."""


class NotificationSettled(NotifierError):
    """The notification was already sent, suppressed or given up: nothing more happens to it."""

    def __init__(self, notification_id: object, status: str) -> None:
        super().__init__(f"notification {notification_id} is already {status}")
        self.notification_id = notification_id
        self.status = status


class NotSentBySms(NotifierError):
    """Only a campaign's messages go by SMS (see `BY_SMS`): no SMS outcome for another kind."""

    def __init__(self, notification_id: object, kind: str) -> None:
        super().__init__(f"notification {notification_id} is a {kind}, never sent by SMS")
        self.notification_id = notification_id
        self.kind = kind
